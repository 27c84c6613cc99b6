import * as fs from 'fs';
import * as path from 'path';
import { aws_lambda as lambda } from 'aws-cdk-lib';

/** The code of each of the three functions. */
export interface FunctionCodes {
  /** The breaker: the `deployment-circuit-breaker` binary. */
  readonly breaker: lambda.Code;
  /** The gate: the `codedeploy-hook` binary. */
  readonly gate: lambda.Code;
  /** The readiness check: the `readiness-check` binary. */
  readonly readinessCheck: lambda.Code;
}

/** Where the three functions' code comes from. */
export abstract class BreakerCode {
  /**
   * The zips `cargo lambda build --release --arm64 --output-format zip` makes (at the
   * repository's root), or `--x86-64` for `lambda.Architecture.X86_64`: each binary's
   * `<directory>/<binary>/bootstrap.zip`.
   *
   * @param directory @default - the repository's `target/lambda`
   */
  public static fromZips(directory?: string): BreakerCode {
    return new Zips(directory ?? path.join(__dirname, '..', '..', 'target', 'lambda'));
  }

  /**
   * Code of your own making, such as cargo-lambda-cdk's `Bundling.bundle(...)`, which builds with
   * cargo lambda during the synth (docs/cdk.md).
   */
  public static fromCode(codes: FunctionCodes): BreakerCode {
    return new Given(codes);
  }

  /** The code of each function; throws, saying how to make it, when it is not there. */
  public abstract codes(): FunctionCodes;
}

class Zips extends BreakerCode {
  constructor(private readonly directory: string) {
    super();
  }

  public codes(): FunctionCodes {
    return {
      breaker: this.zip('deployment-circuit-breaker'),
      gate: this.zip('codedeploy-hook'),
      readinessCheck: this.zip('readiness-check'),
    };
  }

  private zip(binary: string): lambda.Code {
    const file = path.join(this.directory, binary, 'bootstrap.zip');
    if (!fs.existsSync(file)) {
      throw new Error(
        `no ${file}: build the functions first, at the repository's root: cargo lambda build --release ` +
          '--arm64 --output-format zip (--x86-64 for lambda.Architecture.X86_64), or give BreakerCode.fromZips ' +
          'the directory they are in, or BreakerCode.fromCode',
      );
    }
    return lambda.Code.fromAsset(file);
  }
}

class Given extends BreakerCode {
  constructor(private readonly given: FunctionCodes) {
    super();
  }

  public codes(): FunctionCodes {
    return this.given;
  }
}
