import { readParquetFile, tableRows } from '@goodhart/core';
import { fitRl } from '@goodhart/fit';
for (const path of process.argv.slice(2)) {
  const rows = tableRows(await readParquetFile(path));
  const g0 = Number(rows[0].gold);
  const d = rows.map((r) => Number(r.d)); const g = rows.map((r) => Number(r.gold) - g0);
  const all = fitRl(d, g);
  console.log(path.split('/').slice(-2)[0], 'R2', all.r2.toFixed(3), 'alpha', all.alpha.toFixed(3), 'beta', all.beta.toFixed(3));
}
