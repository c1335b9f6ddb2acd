// The CLI entry point of the build this file is compiled into, for runCli (test/cli.ts):
// bin/medadapt.js always runs dist/, and `node --input-type=module -e` would hand --input-type on
// to the worker threads some commands start (the phantom generator's workers then fail).
import { main } from "../apps/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
