/** `docker exec` with collected output, for the workspace runtime and our helper containers. */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** Result of an exec: exit code and the demultiplexed output. */
export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `cmd` (no shell) in a container (as root unless `user`) and collects its output. @throws the engine's error. */
export async function execIn(
  docker: Docker,
  container: string,
  cmd: string[],
  options: { user?: string; maxBytes?: number; env?: string[]; workingDir?: string } = {},
): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    User: options.user ?? 'root',
    ...(options.env ? { Env: options.env } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  let outBytes = 0;
  const max = options.maxBytes ?? 8 * 1024 * 1024;
  out.on('data', (chunk: Buffer) => {
    if (outBytes < max) outChunks.push(chunk);
    outBytes += chunk.length;
  });
  err.on('data', (chunk: Buffer) => errChunks.push(chunk));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(outChunks), stderr: Buffer.concat(errChunks).toString('utf8') };
}

