// Writes a report from synthetic data, to look at the layout: node --import tsx packages/cli/scripts/sample-report.ts [outDir]
import { writeReport } from '../src/report/write-report';
import { syntheticReportData } from '../test/synthetic-report';

const out = process.argv[2] ?? '/tmp/dbvae-sample-report';
const t0 = Date.now();
const written = await writeReport(out, syntheticReportData());
console.log(`${written.indexPath} (${written.files.length} PNGs) in ${Date.now() - t0} ms`);
