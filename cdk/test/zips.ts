/** Empty zips where `cargo lambda build --output-format zip` puts its own: nothing here runs them. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const BINARIES = ['deployment-circuit-breaker', 'codedeploy-hook', 'readiness-check'];

export function emptyZips(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breaker-zips-'));
  for (const binary of BINARIES) {
    fs.mkdirSync(path.join(dir, binary));
    // An empty zip archive: its end-of-central-directory record alone.
    fs.writeFileSync(path.join(dir, binary, 'bootstrap.zip'), Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]));
  }
  return dir;
}
