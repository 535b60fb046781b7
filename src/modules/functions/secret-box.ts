// Encryption of secrets at rest: AES-256-GCM (node:crypto) with one key in a 0600 file beside the
// module's state, made at first use. The store (and its history and WAL) only ever sees ciphertext;
// the secret's name is the additional data, so a ciphertext cannot be moved to another name.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FailedPrecondition } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';

export interface Sealed {
  alg: 'aes-256-gcm';
  /** base64 of the 12-byte nonce, the ciphertext and the 16-byte tag. */
  iv: string;
  data: string;
  tag: string;
}

const KEY_BYTES = 32;

export class SecretBox {
  private key?: Buffer;

  constructor(readonly keyFile: string) {}

  /** The key; created (0600, its directory 0700) only when create is set and there is none. */
  private async load(create: boolean): Promise<Buffer> {
    if (this.key) return this.key;
    try {
      const k = await readFile(this.keyFile);
      if (k.length !== KEY_BYTES) throw new FailedPrecondition(`secret key ${this.keyFile} is ${k.length} bytes, not ${KEY_BYTES}: restore the original file`);
      return (this.key = k);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!create) throw new FailedPrecondition(`secret key ${this.keyFile} is missing: secrets cannot be decrypted (restore the file, or remove and re-create the secrets)`);
    }
    await mkdir(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
    await chmod(path.dirname(this.keyFile), 0o700);
    // wx: two first uses racing end with one key, the loser reads the winner's.
    faultPoint('functions.secrets.key');
    await writeFile(this.keyFile, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return this.load(false);
  }

  async seal(name: string, plain: Buffer): Promise<Sealed> {
    const key = await this.load(true);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(`llmos-secret:${name}`));
    const data = Buffer.concat([c.update(plain), c.final()]);
    return { alg: 'aes-256-gcm', iv: iv.toString('base64'), data: data.toString('base64'), tag: c.getAuthTag().toString('base64') };
  }

  async open(name: string, s: Sealed): Promise<Buffer> {
    const key = await this.load(false);
    try {
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
      d.setAAD(Buffer.from(`llmos-secret:${name}`));
      d.setAuthTag(Buffer.from(s.tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]);
    } catch (e) {
      throw new FailedPrecondition(`secret ${name} does not decrypt with ${this.keyFile} (the key file was replaced, or the record was altered)`, { cause: e });
    }
  }
}
