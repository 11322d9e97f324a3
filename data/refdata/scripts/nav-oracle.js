// Reference datum conversions for tests/unit/test-nav-links.cpp: reads "lon lat" lines on
// stdin and prints "gcj_lon gcj_lat bd_lon bd_lat" per line, computed by gcoord (pinned in
// ../package.json) from WGS84. Run: node scripts/nav-oracle.js < points.txt
'use strict';
const gcoord = require('gcoord');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  const [lon, lat] = line.trim().split(/\s+/).map(Number);
  const gcj = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02);
  const bd = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.BD09);
  console.log([...gcj, ...bd].map((v) => v.toFixed(10)).join(' '));
}
