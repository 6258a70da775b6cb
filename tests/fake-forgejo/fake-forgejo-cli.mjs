#!/usr/bin/env node
// Fake `forgejo` command of the fake Forgejo image (tests only, never shipped). Implements the two admin
// subcommands Xares runs with `docker exec -u git <container> forgejo …`, with the flags of the real CLI
// (Forgejo/Gitea cmd/admin_user_create.go and cmd/admin_user_generate_access_token.go, documented under
// "Command-line interface" of the Forgejo administrator guide):
//   forgejo admin user create --username U --password P --email E [--admin] [--must-change-password=false]
//     -> prints "New user 'U' has been successfully created!"; exit 1 "Command error: user already exists [name: U]"
//   forgejo admin user generate-access-token --username U [--token-name N] [--scopes a,b] [--raw]
//     -> prints only the token with --raw, else "Access token was successfully created: <token>"
//   forgejo --version
// Like the real one it refuses to run as root. The real CLI writes into Forgejo's database; this one asks the
// fake server over loopback (/fake-control/*, guarded by the secret file only user git can read).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const SECRET_FILE = process.env.FAKE_FORGEJO_CONTROL_SECRET ?? '/data/fake-forgejo/control-secret';

function fail(message) {
  process.stderr.write(`Command error: ${message}\n`);
  process.exit(1);
}

/** Flags as the real CLI (urfave/cli) takes them: `--name value`, `--name=value`, `-n value`, bare booleans. */
function parseFlags(argv, booleans, aliases) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) fail(`unexpected argument ${argv[i]}`);
    const name = aliases[m[1]] ?? m[1];
    if (m[2] !== undefined) flags[name] = m[2];
    else if (booleans.includes(name)) flags[name] = 'true';
    else flags[name] = argv[++i] ?? fail(`flag --${name} needs a value`);
  }
  return flags;
}

function control(path, body) {
  let secret;
  try {
    secret = readFileSync(SECRET_FILE, 'utf8').trim();
  } catch (error) {
    fail(`cannot read the configuration (${error.code ?? error.message}); run as user git`);
  }
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: 3000, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-fake-control': secret } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === '-v') {
  process.stdout.write('forgejo version 11.0.0+fake-forgejo\n');
  process.exit(0);
}
if (typeof process.getuid === 'function' && process.getuid() === 0) fail('Forgejo is not supposed to be run as root. Sorry. If you need to use privileged TCP ports please instead use setcap and the `cap_net_bind_service` permission');
if (args[0] !== 'admin' || args[1] !== 'user') fail(`unknown command ${args.slice(0, 3).join(' ')} (the fake knows only admin user create / generate-access-token)`);

if (args[2] === 'create') {
  const flags = parseFlags(args.slice(3), ['admin', 'must-change-password', 'random-password', 'restricted'], { name: 'username' });
  if (!flags.username) fail('username is not set');
  if (!flags.email) fail('email is not set');
  if (!flags.password) fail('password is not set');
  const result = await control('/fake-control/users', {
    username: flags.username, password: flags.password, email: flags.email, admin: flags.admin === 'true', mustChangePassword: flags['must-change-password'] !== 'false',
  }).catch((error) => fail(`cannot reach the server: ${error.message}`));
  if (result.status !== 201) fail(result.body.message ?? `status ${result.status}`);
  process.stdout.write(`New user '${flags.username}' has been successfully created!\n`);
} else if (args[2] === 'generate-access-token') {
  const flags = parseFlags(args.slice(3), ['raw'], { u: 'username', t: 'token-name' });
  if (!flags.username) fail('You must provide a username to generate a token for');
  const result = await control('/fake-control/tokens', { username: flags.username, name: flags['token-name'] ?? 'gitea-admin', scopes: flags.scopes ?? 'all' })
    .catch((error) => fail(`cannot reach the server: ${error.message}`));
  if (result.status !== 201) fail(result.body.message ?? `status ${result.status}`);
  process.stdout.write(flags.raw === 'true' ? `${result.body.sha1}\n` : `Access token was successfully created: ${result.body.sha1}\n`);
} else {
  fail(`unknown command admin user ${args[2] ?? ''}`);
}
