/**
 * Which server a connection URL reaches: host(s) and port, without database, user or options. Targets that are
 * databases of one server share its connection budget (src/schedule/alerts/watch.ts).
 */
export function serverKeyOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') ?? parsed.hostname;
    return `${host || 'local'}:${parsed.port || parsed.searchParams.get('port') || '5432'}`;
  } catch {
    return url;
  }
}
