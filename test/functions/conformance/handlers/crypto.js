/* global CryptoKey, TextDecoder, TextEncoder, crypto -- the web platform of the runtime under test */
// From web-platform-tests WebCryptoAPI/: digest, sign_verify (HMAC, ECDSA, RSASSA), encrypt_decrypt
// (AES-GCM), derive_bits_keys (PBKDF2, HKDF), import_export, generateKey, getRandomValues, randomUUID.
import { harness } from './harness.js';

const te = (s) => new TextEncoder().encode(s);

export default {
  async fetch() {
    const { t, eq, ok, rejects, throws, hex, fromHex, result } = harness();
    const s = crypto.subtle;
    const digests = [
      ['SHA-1', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
      ['SHA-256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      ['SHA-384', 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'],
      ['SHA-512', 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
    ];
    for (const [alg, want] of digests) await t(`digest ${alg} of "abc"`, async () => eq(hex(await s.digest(alg, te('abc'))), want));
    await t('digest accepts an algorithm object and a DataView', async () => eq(hex(await s.digest({ name: 'sha-256' }, new DataView(te('abc').buffer))), digests[1][1]));
    await t('digest unknown algorithm is NotSupportedError', async () => rejects(s.digest('MD5', te('x')), 'NotSupportedError'));
    await t('HMAC SHA-256 RFC 4231 case 2', async () => {
      const k = await s.importKey('raw', te('Jefe'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      const sig = await s.sign('HMAC', k, te('what do ya want for nothing?'));
      eq(hex(sig), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
      eq(await s.verify('HMAC', k, sig, te('what do ya want for nothing?')), true);
      eq(await s.verify('HMAC', k, sig, te('tampered')), false);
    });
    await t('HMAC key attributes', async () => {
      const k = await s.importKey('raw', te('k'), { name: 'HMAC', hash: { name: 'SHA-256' } }, true, ['sign']);
      ok(k instanceof CryptoKey);
      eq(k.type, 'secret');
      eq(k.extractable, true);
      eq(k.algorithm.name, 'HMAC');
      eq(k.algorithm.hash.name, 'SHA-256');
      eq(k.usages.join(), 'sign');
    });
    await t('import_export raw round trip', async () => {
      const k = await s.importKey('raw', te('0123456789abcdef'), 'AES-GCM', true, ['encrypt']);
      eq(new TextDecoder().decode(await s.exportKey('raw', k)), '0123456789abcdef');
    });
    await t('import_export jwk of an HMAC key', async () => {
      const k = await s.importKey('jwk', { kty: 'oct', k: 'AQID', alg: 'HS256' }, { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      const j = await s.exportKey('jwk', k);
      eq(j.k, 'AQID');
      eq(j.kty, 'oct');
    });
    await t('exportKey of a non-extractable key is InvalidAccessError', async () => {
      const k = await s.importKey('raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      await rejects(s.exportKey('raw', k), 'InvalidAccessError');
    });
    await t('sign with a key lacking the usage is InvalidAccessError', async () => {
      const k = await s.importKey('raw', te('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      await rejects(s.sign('HMAC', k, te('m')), 'InvalidAccessError');
    });
    await t('AES-GCM encrypt decrypt known vector (NIST test case 2)', async () => {
      const k = await s.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt', 'decrypt']);
      const ct = await s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, k, new Uint8Array(16));
      eq(hex(ct), '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf');
      eq(hex(await s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, k, ct)), '00000000000000000000000000000000');
    });
    await t('AES-GCM tampered ciphertext is OperationError', async () => {
      const k = await s.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await s.encrypt({ name: 'AES-GCM', iv, additionalData: te('ad') }, k, te('secret')));
      ct[0] ^= 1;
      await rejects(s.decrypt({ name: 'AES-GCM', iv, additionalData: te('ad') }, k, ct), 'OperationError');
    });
    await t('PBKDF2 RFC 6070 case 2', async () => {
      const k = await s.importKey('raw', te('password'), 'PBKDF2', false, ['deriveBits']);
      const bits = await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-1', salt: te('salt'), iterations: 2 }, k, 160);
      eq(hex(bits), 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
    });
    await t('HKDF RFC 5869 case 1', async () => {
      const k = await s.importKey('raw', fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), 'HKDF', false, ['deriveBits']);
      const bits = await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: fromHex('000102030405060708090a0b0c'), info: fromHex('f0f1f2f3f4f5f6f7f8f9') }, k, 336);
      eq(hex(bits), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    });
    await t('deriveKey PBKDF2 to AES-GCM', async () => {
      const base = await s.importKey('raw', te('pw'), 'PBKDF2', false, ['deriveKey']);
      const k = await s.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: te('s'), iterations: 10 }, base, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
      eq(k.algorithm.name, 'AES-GCM');
      eq((await s.exportKey('raw', k)).byteLength, 16);
    });
    await t('ECDSA P-256 generateKey sign verify', async () => {
      const { publicKey, privateKey } = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      eq(publicKey.type, 'public');
      eq(privateKey.type, 'private');
      const sig = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, te('m'));
      eq(sig.byteLength, 64);
      eq(await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, sig, te('m')), true);
      const jwk = await s.exportKey('jwk', publicKey);
      eq(jwk.crv, 'P-256');
    });
    await t('RSASSA-PKCS1-v1_5 generateKey sign verify, spki export', async () => {
      const { publicKey, privateKey } = await s.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
      const sig = await s.sign('RSASSA-PKCS1-v1_5', privateKey, te('m'));
      eq(await s.verify('RSASSA-PKCS1-v1_5', publicKey, sig, te('m')), true);
      const spki = await s.exportKey('spki', publicKey);
      const again = await s.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
      eq(await s.verify('RSASSA-PKCS1-v1_5', again, sig, te('m')), true);
      eq(publicKey.algorithm.modulusLength, 1024);
    });
    await t('HMAC generateKey has the hash block length', async () => {
      const k = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      eq(k.algorithm.length, 512);
    });
    await t('CryptoKey cannot be constructed', () => throws(() => new CryptoKey(), 'TypeError'));
    await t('getRandomValues fills and returns the same array', () => {
      const a = new Uint32Array(8);
      ok(crypto.getRandomValues(a) === a);
      ok(a.some((x) => x !== 0));
    });
    await t('getRandomValues over 65536 bytes is QuotaExceededError', () => {
      const e = throws(() => crypto.getRandomValues(new Uint8Array(65537)), 'QuotaExceededError');
      eq(e.code, 22);
    });
    await t('getRandomValues refuses float arrays', () => throws(() => crypto.getRandomValues(new Float32Array(4)), 'TypeMismatchError'));
    await t('randomUUID is a v4 UUID', () => ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())));
    return result();
  },
};
