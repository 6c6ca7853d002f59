import { Client } from 'pg';
import { spawnBuilt } from '#test/utils/processes';
import { resetState } from '#test/utils/reset';
import { baseTestEnv, dbUrl, workerDbName, workerRedisPrefix } from '#test/utils/test-env';

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnBuilt('cli', args, { ...baseTestEnv(), LOG_LEVEL: 'warn' });
  const code = await p.exited;
  return { code, out: p.output() };
}

async function providerNames(): Promise<string[]> {
  const client = new Client({ connectionString: dbUrl(workerDbName()) });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT name FROM providers ORDER BY name')).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

/** The mistakes a first-time operator makes with dist/src/cli.js, and what the CLI says about them. */
describe('CLI usage', () => {
  beforeEach(() => resetState());

  it('prints the usage of every command for --help, -h and help, and exits 0', async () => {
    const flags = ['--help', '-h', 'help'];
    const runs = await Promise.all(flags.map((flag) => cli([flag])));
    runs.forEach(({ code, out }, i) => {
      expect({ flag: flags[i], code }).toEqual({ flag: flags[i], code: 0 });
      for (const command of ['migrate', 'bootstrap-admin', 'add-provider', 'add-model', 'create-api-key'])
        expect(out).toContain(`  ${command} `);
    });
  }, 180_000);

  it("prints one command's usage for <command> --help and exits 0 without touching the database", async () => {
    const commands = ['add-provider', 'add-model', 'create-api-key', 'import-catalog', 'billing-failed'];
    const runs = await Promise.all(commands.map((command) => cli([command, '--help'])));
    runs.forEach(({ code, out }, i) => {
      const command = commands[i];
      expect({ command, code, first: out.split('\n')[0] }).toEqual({
        command,
        code: 0,
        first: expect.stringMatching(new RegExp(`^usage: node dist/src/cli\\.js ${command} `)),
      });
      expect(out).not.toContain('database:');
    });
  }, 180_000);

  it('refuses an empty --api-key (an unset shell variable) and creates nothing', async () => {
    const { code, out } = await cli(['add-provider', '--name', 'openai', '--api-key', '']);
    expect(code).toBe(2);
    expect(out).toContain('add-provider failed: empty credential api_key (an unset shell variable?)');
    expect(await providerNames()).toEqual([]);
  });

  it('says which database and REDIS_PREFIX it writes to', async () => {
    const { code, out } = await cli(['add-provider', '--name', 'openai', '--api-key', 'sk-canary-cli-usage-77']);
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe(`database: ${dbUrl(workerDbName())} (REDIS_PREFIX ${workerRedisPrefix()})`);
    expect(out).not.toContain('sk-canary-cli-usage-77');
    expect(await providerNames()).toEqual(['openai']);
  });
});
