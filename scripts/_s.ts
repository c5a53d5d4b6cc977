import { readParquetFile, tableRows } from '@goodhart/core';
const rows = tableRows(await readParquetFile(process.argv[2]));
for (const step of [30, 43, 60]) {
  const r = rows.filter((x) => Number(x.step) === step);
  console.log('--- step', step, 'mean len', (r.reduce((a, x) => a + (x.response_tokens as unknown as number[]).length, 0) / r.length).toFixed(1));
  for (const x of r.slice(0, 5)) console.log(Number(x.gold).toFixed(2), Number(x.proxy_score).toFixed(2), JSON.stringify(x.response));
}
