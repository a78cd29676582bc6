/**
 * nginx as the reference proxy: one worker, keep-alive to the origin, no
 * access log — a fair, minimal configuration, generated into a temp dir.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { start, waitForPort, type Child } from './child.js'

/** Idle keep-alive connections nginx keeps to the origin (nginx docs: upstream `keepalive`). */
const UPSTREAM_KEEPALIVE = 64

export function nginxConf (dir: string, listenPort: number, originPort: number | readonly number[]): string {
  const servers = (typeof originPort === 'number' ? [originPort] : originPort).map(p => `    server 127.0.0.1:${p};`).join('\n')
  return `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
  # Room for the 1 MiB binary-tensor row, kept in memory as the gateway keeps it.
  client_max_body_size 8m;
  client_body_buffer_size 2m;
  upstream origin {
${servers}
    keepalive ${UPSTREAM_KEEPALIVE};
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://origin;
      # HTTP/1.1 with an empty Connection header keeps upstream connections open.
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
}

/**
 * nginx as the reference gRPC proxy (bench/grpc.ts): HTTP/2 cleartext in,
 * grpc_pass to the origin over kept-alive HTTP/2 connections, same minimal
 * settings otherwise.
 */
export function nginxGrpcConf (dir: string, listenPort: number, originPort: number | readonly number[]): string {
  return nginxConf(dir, listenPort, originPort)
    .replace(`listen 127.0.0.1:${listenPort};`, `listen 127.0.0.1:${listenPort} http2;\n    http2_max_concurrent_streams 1024;`)
    .replace(/proxy_pass http:\/\/origin;[\s\S]*?proxy_set_header Connection "";/, 'grpc_pass grpc://origin;')
}

export async function startNginx (nginx: string, dir: string, listenPort: number, originPort: number | readonly number[], cores: string | undefined, grpc = false): Promise<Child> {
  await mkdir(dir, { recursive: true })
  const conf = join(dir, 'nginx.conf')
  await writeFile(conf, (grpc ? nginxGrpcConf : nginxConf)(dir, listenPort, originPort))
  const child = start('nginx', nginx, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], cores)
  await waitForPort(child, listenPort)
  return child
}
