/** Whether an address carries a letter, per country, and the parts a provider gets. */
import t from 'tap';
import { addressHash, checkAddress, countryCode } from '../address.js';

t.test('countries as clerks write them', async (t) => {
  for (const [written, code] of [['', 'VN'], ['Việt Nam', 'VN'], ['vietnam', 'VN'], ['VN', 'VN'], ['sg', 'SG'], ['Singapore', 'SG'], ['Trung Quốc', 'CN'], ['中国', 'CN'], ['السعودية', 'SA'], ['Nhật Bản', 'JP']] as const) {
    t.equal(countryCode(written), code, `'${written}' → ${code}`);
  }
  t.equal(countryCode('Atlantis'), null);
  t.equal(countryCode('XX'), null, 'not an ISO code');
});

t.test('Vietnam: name, street, ward, province; district optional since 2025', async (t) => {
  const ok = checkAddress('Công ty Minh Phát', null, { street: '25 Tràng Tiền', ward: 'Phường Hoàn Kiếm', province: 'Thành phố Hà Nội' });
  t.match(ok, { ok: true, address: { country: 'VN', city: 'Thành phố Hà Nội', district: null, lines: ['Công ty Minh Phát', '25 Tràng Tiền', 'Phường Hoàn Kiếm', 'Thành phố Hà Nội'] } });
  const withDistrict = checkAddress('Công ty Sài Gòn', 'Chị Lan', { street: '8 Nguyễn Huệ', ward: 'Phường Bến Nghé', district: 'Quận 1', province: 'TP. Hồ Chí Minh', postalCode: '700000' });
  t.match(withDistrict, { ok: true, address: { contact: 'Chị Lan', postcode: '700000', lines: ['Công ty Sài Gòn', 'Chị Lan', '8 Nguyễn Huệ', 'Phường Bến Nghé, Quận 1', 'TP. Hồ Chí Minh', '700000'] } });
  t.same(checkAddress('', null, { province: 'Đà Nẵng' }), { ok: false, missing: ['name', 'address.street', 'address.ward'] });
  t.same(checkAddress('X', null, null), { ok: false, missing: ['address.street', 'address.ward', 'address.province'] });
  t.match(checkAddress('X', null, { street: '1 Lê Lợi', ward: 'P. Bến Thành', province: 'TP. HCM', postalCode: '7000' }), { ok: false, missing: [/'7000' is not a Vietnamese postcode/] });
});

t.test('abroad: street, city and the postcode in its country\'s shape', async (t) => {
  t.match(checkAddress('Lion City Trading', null, { street: '10 Anson Road', district: 'Singapore', postalCode: '079903', country: 'SG' }), { ok: true, address: { country: 'SG', city: 'Singapore', lines: ['Lion City Trading', '10 Anson Road', 'Singapore 079903', 'SINGAPORE'] } });
  t.match(checkAddress('ACME Inc', null, { street: '1 Main St', district: 'Springfield', province: 'IL', postalCode: '62704', country: 'US' }), { ok: true, address: { lines: ['ACME Inc', '1 Main St', 'Springfield IL 62704', 'UNITED STATES'] } });
  t.same(checkAddress('ACME Inc', null, { street: '1 Main St', district: 'Springfield', country: 'US' }), { ok: false, missing: ['address.postalCode'] });
  t.match(checkAddress('ACME Ltd', null, { street: '1 High St', district: 'London', postalCode: '12345', country: 'GB' }), { ok: false, missing: [/not a postcode of United Kingdom/] });
  t.match(checkAddress('Dubai Trading', null, { street: 'Sheikh Zayed Road 1', district: 'Dubai', country: 'AE' }), { ok: true }, 'the Emirates use no postcode');
  t.same(checkAddress('X', null, { street: '1 Rue', district: 'Paris', country: 'Atlantis' }), { ok: false, missing: ["address.country ('Atlantis' is not a country we know: use its ISO code, e.g. SG)"] });
});

t.test('the fingerprint a returned letter blocks ignores case and spacing, not a corrected address', async (t) => {
  const a = { street: '25 Tràng Tiền', ward: 'Phường Hoàn Kiếm', province: 'Hà Nội' };
  t.equal(addressHash(a), addressHash({ street: ' 25  tràng tiền ', ward: 'phường hoàn kiếm', province: 'HÀ NỘI' }));
  t.not(addressHash(a), addressHash({ ...a, street: '27 Tràng Tiền' }));
});
