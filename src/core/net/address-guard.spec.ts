import { AddressPolicy, isLinkLocalAddress, isPrivateAddress } from '#src/core/net/address-guard';

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:a00:1', true],
    ['::ffff:808:808', false],
    ['not-an-address', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['140.82.112.3', false],
    ['2606:4700:4700::1111', false],
    ['::ffff:8.8.8.8', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('isLinkLocalAddress', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['::ffff:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['fd00:ec2::254', true],
    ['fe80::1', true],
    ['fd00::1', false],
    ['127.0.0.1', false],
    ['8.8.8.8', false],
  ])('%s → %s', (address, expected) => {
    expect(isLinkLocalAddress(address)).toBe(expected);
  });
});

describe('AddressPolicy.checkHost', () => {
  const permissive = new AddressPolicy(true);
  const strict = new AddressPolicy(false);

  it.each(['169.254.169.254', '[fd00:ec2::254]', 'metadata.google.internal', 'METADATA.google.internal.'])(
    'refuses %s even when private addresses are allowed',
    (host) => {
      expect(permissive.checkHost(host)).toMatchObject({ always: true });
      expect(strict.checkHost(host)).toMatchObject({ always: true });
    },
  );

  it.each(['127.0.0.1', '10.0.0.8', '[::1]', '[::ffff:127.0.0.1]'])(
    'refuses %s only when private addresses are not allowed',
    (host) => {
      expect(permissive.checkHost(host)).toBeNull();
      expect(strict.checkHost(host)).toMatchObject({ always: false });
    },
  );

  it('leaves host names to the connect-time lookup and lets public addresses through', () => {
    expect(strict.checkHost('api.openai.com')).toBeNull();
    expect(strict.checkHost('localhost')).toBeNull();
    expect(strict.checkHost('8.8.8.8')).toBeNull();
  });
});
