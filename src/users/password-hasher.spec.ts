import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('stores scrypt with its parameters, a salt and the key, never the password', async () => {
    const stored = await hasher.hash('correct horse battery');
    const [scheme, n, r, p, salt, key] = stored.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key, 'base64url')).toHaveLength(64);
    expect(stored).not.toContain('correct horse battery');
  });

  it('accepts the right password and refuses any other', async () => {
    const stored = await hasher.hash('correct horse battery');
    await expect(hasher.verify('correct horse battery', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horse batterY', stored)).resolves.toBe(false);
    await expect(hasher.verify('', stored)).resolves.toBe(false);
  });

  it('salts every hash, so equal passwords do not give equal hashes', async () => {
    const first = await hasher.hash('same password');
    const second = await hasher.hash('same password');
    expect(first).not.toBe(second);
    await expect(hasher.verify('same password', first)).resolves.toBe(true);
    await expect(hasher.verify('same password', second)).resolves.toBe(true);
  });

  it('handles passwords beyond ASCII', async () => {
    const stored = await hasher.hash('mot de passe ünïcødé 🔑');
    await expect(hasher.verify('mot de passe ünïcødé 🔑', stored)).resolves.toBe(true);
    await expect(hasher.verify('mot de passe unicode 🔑', stored)).resolves.toBe(false);
  });

  it.each([
    '',
    'plain-text-password',
    'bcrypt$16384$8$1$c2FsdA$a2V5',
    'scrypt$16384$8$1$$a2V5',
    'scrypt$16384$8$1$c2FsdA$',
    'scrypt$16384$8$1$c2FsdA$a2V5$extra',
    'scrypt$1000$8$1$c2FsdA$a2V5',
    'scrypt$abc$8$1$c2FsdA$a2V5',
    'scrypt$1073741824$8$1$c2FsdA$a2V5',
  ])(
    'refuses, without throwing, a stored value that is not one of its hashes: %p',
    async (stored) => {
      await expect(hasher.verify('anything', stored)).resolves.toBe(false);
    },
  );
});
