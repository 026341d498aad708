import t from 'tap';
import { uuidv7 } from '../../core/ids.js';

t.test('uuidv7: version 7, RFC variant, the time first, so later ids sort after earlier ones', async (t) => {
  const before = Date.now();
  const ids = Array.from({ length: 2000 }, () => uuidv7());
  const after = Date.now();
  for (const id of ids.slice(0, 5)) t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(new Set(ids).size, ids.length, 'no two alike');
  const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  t.ok(ids.every((id) => ms(id) >= before && ms(id) <= after), 'the first 48 bits are the time of creation in ms');
  t.ok(ids.every((id, i) => i === 0 || ms(id) >= ms(ids[i - 1])), 'in order of creation, to the millisecond');
  await new Promise((r) => setTimeout(r, 3));
  t.ok(uuidv7() > ids.at(-1)!, 'an id made later sorts after, as text and so as a uuid');
});
