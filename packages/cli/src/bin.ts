import { runCli } from './cli';

// Entry point of the `dbvae` executable (tsup adds the `#!/usr/bin/env node` line).
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
