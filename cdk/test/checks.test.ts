/**
 * The synth-time checks are the templates' own: each pattern, bound and message in src/checks.ts
 * is the AllowedPattern, MinValue/MaxValue and ConstraintDescription of the template parameter it
 * names, read here from template.yaml and the member templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { CHECKS, check, checkGateName } from '../src/checks';

const ROOT = path.join(__dirname, '..', '..');

/** Every parameter of the templates, by name (the first template that declares it wins). */
function parameters(): Record<string, Record<string, unknown>> {
  const all: Record<string, Record<string, unknown>> = {};
  for (const file of ['template.yaml', 'templates/target-role.yaml', 'templates/forward-alarms.yaml']) {
    // CloudFormation's short tags (!Ref, !Sub, ...) mean nothing here: read as plain values.
    const doc = parseDocument(fs.readFileSync(path.join(ROOT, file), 'utf8'), { logLevel: 'silent' });
    const declared = (doc.toJS() as { Parameters: Record<string, Record<string, unknown>> }).Parameters;
    for (const [name, spec] of Object.entries(declared)) {
      all[name] ??= spec;
    }
  }
  return all;
}

describe('the checks', () => {
  const declared = parameters();

  test.each(Object.keys(CHECKS))('%s is checked as its template declares it', (name) => {
    const spec = declared[name];
    expect(spec).toBeDefined();
    const rule = CHECKS[name];
    // A regular expression literal escapes its slashes; the template's pattern need not.
    const plain = (pattern?: string) => pattern?.replace(/\\\//g, '/');
    expect(plain(rule.pattern?.source)).toEqual(plain(spec.AllowedPattern as string | undefined));
    expect(rule.min).toEqual(spec.MinValue);
    expect(rule.max).toEqual(spec.MaxValue);
    expect(rule.says).toEqual(spec.ConstraintDescription);
  });

  // Parameters whose pattern stands for a type the props have instead.
  const TYPED = ['Triggers' /* Trigger[] */, 'SnsTopicAccounts' /* a map, checked entry by entry */];

  test('every template parameter with a pattern or a bound has its check, or a type', () => {
    const bounded = Object.entries(declared)
      .filter(([, spec]) => spec.AllowedPattern !== undefined || spec.MinValue !== undefined || spec.MaxValue !== undefined)
      .map(([name]) => name);
    expect(bounded.filter((name) => CHECKS[name] === undefined)).toEqual(TYPED);
  });

  test('a value that fails says which property, which parameter and what is expected', () => {
    expect(() => check('regions', 'Regions', 'us-east-1,mars')).toThrow(
      'regions (Regions): a comma list of region codes, such as us-east-1,eu-west-1; got "us-east-1,mars"');
    expect(() => check('alarmNamePrefix', 'AlarmNamePrefix', 'web-*')).toThrow('must match pattern ^[^*?]*$');
    expect(() => check('bake', 'BakeSeconds', 3301)).toThrow('bake (BakeSeconds): must be a number not greater than 3300');
    expect(() => check('judgeInterval', 'JudgeInterval', 30)).toThrow('not less than 60');
    expect(() => check('regions', 'Regions', 'us-east-1,eu-west-1')).not.toThrow();
  });

  test("the gate's name must fit Lambda's 64 characters", () => {
    expect(() => checkGateName('x'.repeat(49))).not.toThrow();
    expect(() => checkGateName('x'.repeat(50))).toThrow(/at most 49 characters \(it is 50\)/);
  });
});
