import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, runCli } from '../src/cli';
import { parseCommandArgs } from '../src/args';
import { UsageError } from '../src/errors';
import { DEMO_SMALL, demoPreset, type DemoOptions } from '../src/commands/demo';

async function run(argv: string[], cwd?: string) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: false }, cwd });
  return { code, out, err };
}

describe('dbvae help', () => {
  it('lists every command with --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['synth', 'train', 'evaluate', 'risk', 'demo']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('prints each command\'s flags', async () => {
    const flags: Record<string, string[]> = {
      synth: ['--out <dir>', '--n <n>', '--seed <n>'],
      train: ['--data <train.h5>', '--model <standard|dbvae>', '--out <dir>', '--epochs', '--batch-size', '--latent-dim', '--alpha', '--kl-weight', '--seed', '--workers'],
      evaluate: ['--model <dir>', '--faces <dir>', '--json <file>'],
      risk: ['--model <dir>', '--data <h5|folder|list>', '--wrapper <histogram-vae|mve|dropout|ensemble>', '--risk-model <dir>', '--save-risk-model <dir>', '--workers <n>', '--queue <redis://host:port/db>'],
      worker: ['--queue <redis://host:port/db>', '--lock-ms <n>'],
      demo: ['--out <dir>', '--full'],
    };
    for (const [name, expected] of Object.entries(flags)) {
      const r = await run([name, '--help']);
      expect(r.code).toBe(0);
      for (const f of expected) expect(r.out).toContain(f);
      expect((await run(['help', name])).out).toBe(r.out);
    }
  });

  it('prints help on stderr with exit 2 when no command is given', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: dbvae <command>');
  });
});

describe('dbvae errors', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown command', ['frobnicate'], 2, /unknown command 'frobnicate'/],
    ['unknown flag', ['synth', '--out', 'x', '--bogus', '1'], 2, /bogus/],
    ['missing required flag', ['train', '--model', 'dbvae', '--out', 'm'], 2, /--data is required/],
    ['malformed number', ['synth', '--out', 'x', '--n', '12abc'], 2, /--n expects a number, got '12abc'/],
    ['fraction for an int', ['train', '--data', 'd', '--model', 'dbvae', '--out', 'm', '--epochs', '1.5'], 2, /whole number/],
    ['out of range', ['train', '--data', 'd', '--model', 'dbvae', '--out', 'm', '--alpha', '0'], 2, /--alpha must be greater than 0/],
    ['workers for the DB-VAE', ['train', '--data', 'd', '--model', 'dbvae', '--out', 'm', '--workers', '1'], 2, /--workers applies to --model standard only/],
    ['bad choice', ['risk', '--model', 'm', '--data', 'd', '--wrapper', 'magic'], 2, /one of histogram-vae, mve, dropout, ensemble/],
    ['bad output extension', ['risk', '--model', 'm', '--data', 'd', '--wrapper', 'mve', '--out', 'r.txt'], 2, /\.csv or \.json/],
    ['missing input file', ['train', '--data', 'no-such.h5', '--model', 'standard', '--out', 'm'], 1, /no-such\.h5: no such file/],
    ['stray positional', ['evaluate', 'models/x'], 2, /positional/],
  ];
  for (const [what, argv, code, message] of cases) {
    it(`${what} -> exit ${code}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dbvae-cli-'));
      try {
        const r = await run(argv, dir);
        expect(r.code).toBe(code);
        expect(r.err).toMatch(message);
        expect(r.out).toBe('');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('checks inputs and model folders (exit 1)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-cli-'));
    try {
      await mkdir(join(dir, 'model'));
      await mkdir(join(dir, 'faces'));
      await writeFile(join(dir, 'model', 'x'), '');
      expect((await run(['evaluate', '--model', 'model', '--faces', 'nope'], dir)).err).toMatch(/--faces .*nope: no such folder/);
      expect((await run(['evaluate', '--model', 'model/x', '--faces', 'faces'], dir)).err).toMatch(/expected a folder, found a file/);
      const notModel = await run(['evaluate', '--model', 'model', '--faces', 'faces'], dir);
      expect(notModel.code).toBe(1);
      expect(notModel.err).toMatch(/no dbvae-model\.json here/);
      expect((await run(['risk', '--model', 'model', '--data', 'nope.h5', '--wrapper', 'mve'], dir)).err).toMatch(/nope\.h5: no such file or folder/);
      const r = await run(['risk', '--model', 'model', '--data', 'faces', '--wrapper', 'mve'], dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no dbvae-model\.json here/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the real process a non-zero exit code', () => {
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', bin, 'synth', '--n', '5'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out is required/);
    const ok = spawnSync(process.execPath, ['--import', 'tsx', bin, '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('parseCommandArgs', () => {
  it('converts values and applies defaults', () => {
    const train = COMMANDS.find((c) => c.name === 'train')!;
    const v = parseCommandArgs('train', train.options, ['--data', 'a.h5', '--model', 'dbvae', '--out', 'o', '--alpha=0.01', '--epochs', '3']);
    expect(v).toMatchObject({ data: 'a.h5', model: 'dbvae', out: 'o', alpha: 0.01, epochs: 3, 'batch-size': 32, 'latent-dim': 100, 'kl-weight': 0.0005, seed: 0 });
    expect(() => parseCommandArgs('train', train.options, ['--data', ''])).toThrow(UsageError);
  });

  it('fills demo sizes from --full unless given', async () => {
    const demo = COMMANDS.find((c) => c.name === 'demo')!;
    const io = { stdout: { write: () => 0 }, stderr: { write: () => 0 }, cwd: '/tmp' };
    const small = demo.toOptions(parseCommandArgs('demo', demo.options, []), io) as unknown as Record<string, unknown>;
    const full = demo.toOptions(parseCommandArgs('demo', demo.options, ['--full', '--epochs', '4']), io) as unknown as Record<string, unknown>;
    expect(small).toMatchObject({ out: '/tmp/report', n: DEMO_SMALL.n, epochs: DEMO_SMALL.epochs, latentDim: DEMO_SMALL.latentDim, testPerGroup: DEMO_SMALL.testPerGroup, full: false });
    expect(full).toMatchObject({ n: 20000, latentDim: 100, epochs: 4, full: true, averageLastSteps: 125 });
    expect(small).toMatchObject({ averageLastSteps: 0 });
    const fullLastStep = demo.toOptions(parseCommandArgs('demo', demo.options, ['--full', '--average-last', '0']), io) as unknown as Record<string, unknown>;
    expect(fullLastStep).toMatchObject({ averageLastSteps: 0, n: 20000 });
  });

  it('gives the small demo its measured schedule and KL weight, and --full the lab\'s', () => {
    const demo = COMMANDS.find((c) => c.name === 'demo')!;
    const io = { stdout: { write: () => 0 }, stderr: { write: () => 0 }, cwd: '/tmp' };
    const opts = (args: string[]) => demo.toOptions(parseCommandArgs('demo', demo.options, args), io) as DemoOptions;
    expect(opts([])).toMatchObject({ n: 10000, epochs: 4, stepsPerEpoch: 78, klWeight: 0.1, latentDim: 16 });
    const full = opts(['--full']);
    expect(full).toMatchObject({ n: 20000, epochs: 2, klWeight: 0.0005 });
    expect(full.stepsPerEpoch).toBeUndefined(); // a full pass, the lab's epoch
    expect(opts(['--kl-weight', '0.01']).klWeight).toBe(0.01);
    expect(opts(['--steps-per-epoch', '0']).stepsPerEpoch).toBeUndefined();
    expect(opts(['--full', '--steps-per-epoch', '200'])).toMatchObject({ stepsPerEpoch: 200, averageLastSteps: 125 });
    // the averaging window must fit in an epoch: refused at parsing, before any data is generated
    expect(() => opts(['--full', '--steps-per-epoch', '100'])).toThrow(/--average-last 125 \(the --full default\) is longer than an epoch \(100 steps\); give --average-last 100 or less/);
    expect(() => opts(['--n', '640', '--steps-per-epoch', '0', '--average-last', '21'])).toThrow(UsageError);
    expect(opts(['--n', '640', '--steps-per-epoch', '0', '--average-last', '20']).averageLastSteps).toBe(20);
  });

  it('tells the measured presets from other settings', () => {
    const demo = COMMANDS.find((c) => c.name === 'demo')!;
    const io = { stdout: { write: () => 0 }, stderr: { write: () => 0 }, cwd: '/tmp' };
    const preset = (args: string[]) => demoPreset(demo.toOptions(parseCommandArgs('demo', demo.options, args), io) as DemoOptions);
    expect(preset([])).toBe('small');
    expect(preset(['--seed', '7', '--seeds', '3', '--out', 'x'])).toBe('small');
    expect(preset(['--full'])).toBe('full');
    expect(preset(['--kl-weight', '0.0005'])).toBe('custom');
    expect(preset(['--steps-per-epoch', '0'])).toBe('custom');
    expect(preset(['--full', '--average-last', '0'])).toBe('custom');
    expect(preset(['--combine', 'product'])).toBe('custom');
    expect(preset(['--dark-skin', '0.1'])).toBe('custom');
  });
});
