// Encodes a small ring the way ECharts 4's map JSON does and decodes it again with
// ECharts' own parseGeoJson, printing the values pasted into
// tests/unit/test-echarts-geo.cpp. Run: node scripts/echarts-encode.js
'use strict';
const parseGeoJson = require('echarts/lib/coord/geo/parseGeoJson');
const scale = 1024;
// integer grid points (units of 1/1024 degree) around 渝中区
const pts = [[109130, 30270], [109230, 30270], [109230, 29270], [109130, 30270]];
const offset = [109100, 30300];
let s = '';
let px = offset[0], py = offset[1];
for (const [x, y] of pts) {
  for (const d of [x - px, y - py]) {
    const z = (d << 1) ^ (d >> 31);
    s += String.fromCharCode(z + 64);
  }
  px = x; py = y;
}
const doc = {
  type: 'FeatureCollection', UTF8Encoding: true,
  features: [{ id: '500103', type: 'Feature', properties: { name: '渝中区' },
    geometry: { type: 'Polygon', coordinates: [s], encodeOffsets: [offset] } }],
};
console.log('encoded JSON string literal:', JSON.stringify(s));
console.log('UTF-8 bytes:', Buffer.from(s, 'utf8').toString('hex'));
console.log('code units:', [...s].map((c) => c.charCodeAt(0)).join(','));
const regions = parseGeoJson(JSON.parse(JSON.stringify(doc)));
console.log('echarts decoded:', JSON.stringify(regions[0].geometries[0].exterior));
