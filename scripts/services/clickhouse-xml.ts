// The ClickHouse server's config.xml and users.xml as the launcher writes them,
// for the one server of `up` and the two servers of the cluster test.
import { join } from 'node:path'

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export interface ClickhouseXmlOptions {
  /** Log file path without extension: <logBase>.log and <logBase>.err.log. */
  logBase: string
  http: number
  native: number
  data: string
  /** More top-level elements (cluster, macros, ZooKeeper), already XML. */
  extra?: string
}

export function clickhouseConfigXml(o: ClickhouseXmlOptions): string {
  const x = (p: string): string => xmlEscape(p.endsWith('/') ? p : `${p}/`)
  const { data } = o
  // <yandex> is the root element the 18.x server reads (newer servers accept it too).
  return `<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>${xmlEscape(`${o.logBase}.log`)}</log>
        <errorlog>${xmlEscape(`${o.logBase}.err.log`)}</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>${o.http}</http_port>
    <tcp_port>${o.native}</tcp_port>
    <max_connections>512</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>${x(data)}</path>
    <tmp_path>${x(join(data, 'tmp'))}</tmp_path>
    <user_files_path>${x(join(data, 'user_files'))}</user_files_path>
    <format_schema_path>${x(join(data, 'format_schemas'))}</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
${o.extra ?? ''}</yandex>
`
}

export const CLICKHOUSE_USERS_XML = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
