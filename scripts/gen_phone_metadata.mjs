// TEMPORARY until the phone metadata generator lands: writes an empty translation unit.
import { writeFileSync } from 'node:fs';
writeFileSync(process.argv[3], '// generated placeholder\n');
