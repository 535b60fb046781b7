// Joining a server (k3s' agent bootstrap): fetch the CA without trusting the connection, check its
// hash against the token's before trusting anything, then exchange the token for a node credential
// over TLS verified with that CA.
import { caHash } from '../../kernel/cluster-ca.js';
import { FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';
import { parseJoinToken, type JoinAnswer, type JoinRequest } from '../../contracts/cluster.js';
import { callServer } from './http.js';

export interface Joined extends JoinAnswer {
  ca: string;
}

export async function joinServer(server: URL, req: JoinRequest): Promise<Joined> {
  const t = parseJoinToken(req.token);
  if (!t) throw new InvalidArgument('malformed join token (expected K10<ca-hash>::<id>.<secret>, from llmos token create on the server)');
  const { ca } = await callServer<{ ca: string }>(server, { method: 'GET', path: '/v1/cluster/agent/ca' });
  const got = caHash(ca);
  if (got !== t.caHash) {
    throw new FailedPrecondition(`the server's CA (sha256 ${got.slice(0, 16)}...) does not match the join token's (${t.caHash.slice(0, 16)}...): not joining ${server.origin}`);
  }
  const answer = await callServer<JoinAnswer>(server, { method: 'POST', path: '/v1/cluster/agent/join', body: req, ca });
  return { ...answer, ca };
}
