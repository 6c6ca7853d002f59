import { clientAddressBucket } from '#src/modules/auth/client-address';

describe('clientAddressBucket', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['', 'unknown'],
  ])('%s is throttled as %s', (address, bucket) => {
    expect(clientAddressBucket(address)).toBe(bucket);
  });

  it('puts two hosts of one /64 in one bucket and neighbouring /64s in two', () => {
    expect(clientAddressBucket('2001:db8:0:1::a')).toBe(clientAddressBucket('2001:db8:0:1:ffff::b'));
    expect(clientAddressBucket('2001:db8:0:1::a')).not.toBe(clientAddressBucket('2001:db8:0:2::a'));
  });
});
