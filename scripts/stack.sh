#!/usr/bin/env bash
# The local edge stack: a Kafka broker (KRaft, one node) with the Prometheus
# JMX exporter, an S3 server (versitygw), Prometheus, the node exporter and a
# Kafka offsets/lag exporter, all on 127.0.0.1, all state under var/.
#
#   scripts/stack.sh install   fetch and cache what the stack runs (no start)
#   scripts/stack.sh start     install if needed, start what is not running,
#                              wait until every service answers, create the
#                              topics and the bucket, write var/edgestream.env
#   scripts/stack.sh stop      stop every service (fine when already stopped)
#   scripts/stack.sh status    one line per service; exit 0 only if all answer
#   scripts/stack.sh clean     stop, then delete the stack's data (not the cache)
#   scripts/stack.sh restart SERVICE   stop one service (e.g. kafka-exporter)
#                              and start again what is not running
#
# Ports come from EDGESTREAM_*_PORT variables (defaults below); docs/stack.md
# describes the stack, its files and its versions.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
var_dir=$repo/var
stack_dir=$var_dir/stack
# shellcheck source=lib/cache.sh
source "$repo/scripts/lib/cache.sh"
link_cache "$repo"
cache_dir=$var_dir/cache
env_file=$var_dir/edgestream.env

# The settings a start ran with (ports, bucket) are remembered until `clean`,
# so that later commands find the services without repeating them; a
# variable set by the caller still wins.
settings_file=$stack_dir/settings.env
if [[ -f $settings_file ]]; then
  while IFS='=' read -r key value; do
    if [[ $key =~ ^EDGESTREAM_[A-Z0-9_]+$ && -z ${!key:-} ]]; then export "$key=$value"; fi
  done <"$settings_file"
fi

kafka_port=${EDGESTREAM_KAFKA_PORT:-19092}
controller_port=${EDGESTREAM_KAFKA_CONTROLLER_PORT:-19093}
# The broker's listener for the local cluster's pods (docs/cluster.md).
kafka_cluster_port=${EDGESTREAM_KAFKA_CLUSTER_PORT:-$((kafka_port + 2))}
jmx_exporter_port=${EDGESTREAM_KAFKA_JMX_EXPORTER_PORT:-19404}
s3_port=${EDGESTREAM_S3_PORT:-19000}
prometheus_port=${EDGESTREAM_PROMETHEUS_PORT:-19090}
node_exporter_port=${EDGESTREAM_NODE_EXPORTER_PORT:-19100}
kafka_exporter_port=${EDGESTREAM_KAFKA_EXPORTER_PORT:-19308}
simulator_metrics_port=${EDGESTREAM_SIMULATOR_METRICS_PORT:-19464}
processor_metrics_port=${EDGESTREAM_PROCESSOR_METRICS_PORT:-19465}
archiver_metrics_port=${EDGESTREAM_ARCHIVER_METRICS_PORT:-19466}
s3_bucket=${EDGESTREAM_S3_BUCKET:-edgestream-archive}
s3_region=${EDGESTREAM_S3_REGION:-us-east-1}
# Bound on the wait for one service to answer after it was started.
start_timeout=${EDGESTREAM_STACK_TIMEOUT:-120}

# Pinned versions of what is built from source with Go. Kafka, its logging
# binding and the JMX exporter are pinned in stack/kafka/pom.xml.
readonly versitygw_module=github.com/versity/versitygw/cmd/versitygw
readonly versitygw_version=v1.8.0

# name:partitions. processor-partials is internal to the processor: it
# merges partial window aggregates through it, so it has one partition.
readonly topics=(raw-data:3 processed-data:3 raw-data-dlq:3 processed-data-dlq:3 processor-partials:1)
# Start order; stop runs it backwards.
readonly services=(s3 kafka node-exporter kafka-exporter prometheus)

go_bin=${EDGESTREAM_GO:-/usr/local/go/bin/go}
[[ -x $go_bin ]] || go_bin=$(command -v go || echo /usr/local/go/bin/go)
java_bin=${EDGESTREAM_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
[[ -x $java_bin ]] || java_bin=$(command -v java || echo java)

# Kafka's security material, made once and kept until `clean`: the stack's
# CA and the broker's certificate (tls/), one SCRAM password per principal
# (users/<name>.password), and admin.conf (librdkafka properties of the
# admin principal, for kcat -F).
kafka_tls_dir=$stack_dir/kafka/tls
kafka_users_dir=$stack_dir/kafka/users
kafka_admin_conf=$stack_dir/kafka/admin.conf
readonly kafka_users=(broker admin simulator processor archiver audit kafka-exporter)
venv_python=$repo/var/venv/bin/python

kafka_lib=$cache_dir/kafka/lib
jmx_agent=$cache_dir/kafka/agent/jmx_prometheus_javaagent.jar
versitygw_bin=$cache_dir/bin/versitygw-$versitygw_version
kafka_exporter_src=$repo/stack/kafka-exporter

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# --- install: fetch and cache ------------------------------------------------

go_env() {
  # Module and build caches live under var/cache so that a second install
  # needs no registry and nothing lands in the user's home.
  export GOMODCACHE=$cache_dir/go/mod GOCACHE=$cache_dir/go/build GOFLAGS=-modcacherw
  export GOTOOLCHAIN=local
  [[ -x $go_bin ]] || die "no Go toolchain at $go_bin; install Go 1.26 or set EDGESTREAM_GO"
}

install_kafka() {
  local stamp=$cache_dir/kafka/pom.sha256 want
  want=$(sha256sum "$repo/stack/kafka/pom.xml" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" && -f $jmx_agent ]]; then
    return
  fi
  command -v mvn >/dev/null || die "maven is missing; run scripts/install-deps.sh"
  say "fetching Kafka and the JMX exporter (Maven, cached in var/cache/m2)"
  # Copied into a new folder and swapped in at the end, so that a broker
  # still running keeps a complete class path.
  local fresh=$cache_dir/kafka.new
  rm -rf "$fresh"
  # Maven's output goes to a log: Debian's Maven 3.8 prints colour codes
  # even in batch mode.
  local mvn=(mvn -B -q -f "$repo/stack/kafka/pom.xml" "-Dmaven.repo.local=$cache_dir/m2")
  local log=$cache_dir/kafka-maven.log
  mkdir -p "$cache_dir"
  if ! "${mvn[@]}" dependency:copy-dependencies "-DoutputDirectory=$fresh/lib" \
    -DincludeScope=runtime >"$log" 2>&1 ||
    ! "${mvn[@]}" dependency:copy@jmx-exporter-agent "-DoutputDirectory=$fresh/agent" >>"$log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -n 30 >&2
    die "Maven could not fetch Kafka or the JMX exporter (stack/kafka/pom.xml); full output in $log"
  fi
  echo "$want" >"$fresh/pom.sha256"
  rm -rf "$cache_dir/kafka"
  mv "$fresh" "$cache_dir/kafka"
}

install_versitygw() {
  [[ -x $versitygw_bin ]] && return
  go_env
  say "building versitygw $versitygw_version (Go, cached in var/cache/bin)"
  local tmp=$cache_dir/go/gobin-tmp
  rm -rf "$tmp"
  GOBIN=$tmp "$go_bin" install -trimpath "$versitygw_module@$versitygw_version" ||
    die "go install $versitygw_module@$versitygw_version failed; see its output above"
  mkdir -p "$cache_dir/bin"
  mv "$tmp/versitygw" "$versitygw_bin"
  rm -rf "$tmp"
}

kafka_exporter_bin() {
  # Named after a hash of its sources, so an edit rebuilds it.
  local hash
  hash=$(cat "$kafka_exporter_src"/go.mod "$kafka_exporter_src"/go.sum "$kafka_exporter_src"/*.go |
    sha256sum | cut -c1-12)
  echo "$cache_dir/bin/edgestream-kafka-exporter-$hash"
}

install_kafka_exporter() {
  local bin
  bin=$(kafka_exporter_bin)
  [[ -x $bin ]] && return
  go_env
  say "building the Kafka exporter (stack/kafka-exporter)"
  mkdir -p "$cache_dir/bin"
  (cd "$kafka_exporter_src" && "$go_bin" build -trimpath -o "$bin.tmp" .) ||
    die "building stack/kafka-exporter failed; see the compiler output above"
  # The cache is shared by every clone on the machine, each perhaps at
  # another commit, so a build of other sources may still be wanted: only
  # builds untouched for 30 days are removed.
  find "$cache_dir/bin" -maxdepth 1 -name 'edgestream-kafka-exporter-*' ! -name "${bin##*/}.tmp" \
    -mtime +30 -delete
  mv "$bin.tmp" "$bin"
}

check_tools() {
  local tool missing=()
  for tool in curl kcat openssl prometheus prometheus-node-exporter mvn; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}; run scripts/install-deps.sh"
  "$java_bin" -version 2>&1 | grep -q 'version "17' ||
    die "Kafka 3.9 here runs on Java 17, $java_bin is not; run scripts/install-deps.sh or set EDGESTREAM_JAVA"
}

cmd_install() {
  check_tools
  mkdir -p "$cache_dir"
  # The cache is shared by every clone on the machine: one install at a time.
  exec 8>"$cache_dir/stack-install.lock"
  flock 8
  install_kafka
  install_versitygw
  install_kafka_exporter
  exec 8>&-
}

# --- processes -----------------------------------------------------------------

pid_file() { echo "$stack_dir/$1/pid"; }
log_file() {
  case $1 in
    kafka) echo "$stack_dir/kafka/logs/server.log (and stdout.log beside it)" ;;
    *) echo "$stack_dir/$1/$1.log" ;;
  esac
}

# A string that the service's command line contains, so that a stale pid file
# whose pid now belongs to another process is not taken for the service.
marker() {
  case $1 in
    kafka) echo "$stack_dir/kafka/server.properties" ;;
    s3) echo "$stack_dir/s3/data" ;;
    prometheus) echo "$stack_dir/prometheus/prometheus.yml" ;;
    node-exporter) echo "127.0.0.1:$node_exporter_port" ;;
    kafka-exporter) echo "edgestream-kafka-exporter" ;;
  esac
}

service_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  pid=$(cat "$file")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(marker "$1")" || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# launch NAME LOG COMMAND...: runs COMMAND in its own session, detached from
# this shell, output appended to LOG, pid in the service's pid file.
launch() {
  local name=$1 log=$2
  shift 2
  mkdir -p "$(dirname "$log")"
  printf '\n=== %s: starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" 2>/dev/null || true; }

s3_curl() {
  # curl 7.88 signs with SigV4 but sends no payload hash header, which S3
  # requires; UNSIGNED-PAYLOAD is the documented value for an unsigned body.
  curl -s --max-time 5 --aws-sigv4 "aws:amz:$s3_region:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

ready() {
  case $1 in
    kafka)
      kcat -L -F "$kafka_admin_conf" -b "127.0.0.1:$kafka_port" -m 2 2>/dev/null | grep -q '1 brokers' &&
        [[ $(http_code "http://127.0.0.1:$jmx_exporter_port/metrics") == 200 ]]
      ;;
    s3) [[ $(s3_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3_port/" || true) == 200 ]] ;;
    prometheus) [[ $(http_code "http://127.0.0.1:$prometheus_port/-/ready") == 200 ]] ;;
    node-exporter) [[ $(http_code "http://127.0.0.1:$node_exporter_port/metrics") == 200 ]] ;;
    kafka-exporter) [[ $(http_code "http://127.0.0.1:$kafka_exporter_port/metrics") == 200 ]] ;;
  esac
}

service_ports() {
  case $1 in
    kafka) echo "$kafka_port $kafka_cluster_port $controller_port $jmx_exporter_port" ;;
    s3) echo "$s3_port" ;;
    prometheus) echo "$prometheus_port" ;;
    node-exporter) echo "$node_exporter_port" ;;
    kafka-exporter) echo "$kafka_exporter_port" ;;
  esac
}

# Polls until the service answers; fails fast if its process exits.
wait_ready() {
  local name=$1 deadline=$((SECONDS + start_timeout))
  until ready "$name"; do
    if ! service_pid "$name" >/dev/null; then
      die "$name exited while starting; see $(log_file "$name")"
    fi
    if ((SECONDS >= deadline)); then
      die "$name did not answer within ${start_timeout}s (EDGESTREAM_STACK_TIMEOUT); see $(log_file "$name")"
    fi
    sleep 0.5
  done
}

render() { # render TEMPLATE OUTPUT NAME=VALUE...
  local template=$1 output=$2 text pair
  shift 2
  text=$(<"$template")
  for pair in "$@"; do
    text=${text//@${pair%%=*}@/${pair#*=}}
  done
  [[ $text != *@[A-Z_]*@* ]] || die "unfilled placeholder in $output (from $template)"
  printf '%s\n' "$text" >"$output.tmp"
  mv "$output.tmp" "$output"
}

kafka_java() { "$java_bin" -cp "$kafka_lib/*" "$@"; }

random_secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# Makes what is missing of the CA, the broker's certificate and keystore,
# the SCRAM passwords and admin.conf. Secrets are mode 600 in mode 700
# folders and never passed on a command line (openssl reads and writes
# files; Kafka's formatter reads its arguments from a file).
kafka_secrets() {
  local tls=$kafka_tls_dir user file
  (
    umask 077
    mkdir -p "$tls" "$kafka_users_dir"
    for user in "${kafka_users[@]}"; do
      file=$kafka_users_dir/$user.password
      [[ -s $file ]] || { random_secret >"$file.tmp" && mv "$file.tmp" "$file"; }
    done
    [[ -s $tls/keystore.password ]] || random_secret >"$tls/keystore.password"
    if [[ ! -s $tls/ca.crt || ! -s $tls/ca.key ]]; then
      openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 3650 -subj "/CN=edgestream local stack CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>"$tls/openssl.log" || die "making the stack's CA failed; see $tls/openssl.log"
      rm -f "$tls/broker.p12"
    fi
    # Clients reach the broker as 127.0.0.1 (the advertised listener) or
    # localhost, pods of the local cluster as the name its PODS listener
    # advertises, and check that name (ssl.endpoint.identification.algorithm=https).
    # A certificate made for fewer names is made again.
    local names=IP:127.0.0.1,DNS:localhost,DNS:kafka.local-stack.svc.cluster.local
    [[ $(cat "$tls/broker.names" 2>/dev/null) == "$names" ]] || rm -f "$tls/broker.p12"
    if [[ ! -s $tls/broker.p12 ]]; then
      printf '%s\n' "subjectAltName=$names" \
        'extendedKeyUsage=serverAuth,clientAuth' 'keyUsage=critical,digitalSignature' \
        'basicConstraints=CA:FALSE' >"$tls/broker.ext"
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
        -keyout "$tls/broker.key" -out "$tls/broker.csr" -subj "/CN=edgestream-local-broker" \
        2>"$tls/openssl.log" &&
        openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
          -CAcreateserial -out "$tls/broker.crt" -days 3650 -sha256 -extfile "$tls/broker.ext" \
          2>>"$tls/openssl.log" &&
        openssl pkcs12 -export -in "$tls/broker.crt" -inkey "$tls/broker.key" \
          -certfile "$tls/ca.crt" -name broker -out "$tls/broker.p12.tmp" \
          -passout "file:$tls/keystore.password" 2>>"$tls/openssl.log" ||
        die "making the broker's certificate failed; see $tls/openssl.log"
      mv "$tls/broker.p12.tmp" "$tls/broker.p12"
      echo "$names" >"$tls/broker.names"
    fi
    # Every client needs the CA certificate; it is public.
    chmod 755 "$tls"
    chmod 644 "$tls/ca.crt"
    printf '%s\n' "# librdkafka properties of the local stack's admin principal (kcat -F this-file)." \
      "bootstrap.servers=127.0.0.1:$kafka_port" security.protocol=SASL_SSL \
      sasl.mechanisms=SCRAM-SHA-512 sasl.username=admin \
      "sasl.password=$(cat "$kafka_users_dir/admin.password")" "ssl.ca.location=$tls/ca.crt" \
      ssl.endpoint.identification.algorithm=https >"$kafka_admin_conf.tmp"
    mv "$kafka_admin_conf.tmp" "$kafka_admin_conf"
  )
}

start_kafka() {
  local dir=$stack_dir/kafka user
  mkdir -p "$dir/data" "$dir/logs"
  # A data folder formatted by an older stack has no SCRAM users, so no
  # client could log in; its topics are test data.
  if [[ -f $dir/data/meta.properties && ! -f $dir/scram-users ]]; then
    die "Kafka's data in $dir/data predates the broker's TLS + SCRAM set-up (it has no SCRAM users); run scripts/stack.sh clean (deletes the local topics) and start again"
  fi
  # Users are created at format time only: a storage formatted with fewer
  # users than this stack needs cannot log the missing ones in.
  if [[ -f $dir/data/meta.properties ]]; then
    for user in "${kafka_users[@]}"; do
      grep -qx "$user" "$dir/scram-users" ||
        die "Kafka's data in $dir/data was formatted without the SCRAM user '$user' this stack needs; run scripts/stack.sh clean (deletes the local topics) and start again"
    done
  fi
  if [[ ! -f $dir/data/meta.properties ]]; then
    # SCRAM passwords reach the metadata only when the storage is formatted,
    # so a fresh format gets fresh passwords.
    rm -rf "$kafka_users_dir"
  fi
  kafka_secrets
  (
    umask 077
    render "$repo/stack/kafka/server.properties.in" "$dir/server.properties" \
      KAFKA_PORT="$kafka_port" KAFKA_CLUSTER_PORT="$kafka_cluster_port" \
      KAFKA_CONTROLLER_PORT="$controller_port" KAFKA_DATA_DIR="$dir/data" \
      KAFKA_TLS_DIR="$kafka_tls_dir" KAFKA_KEYSTORE_PASSWORD="$(cat "$kafka_tls_dir/keystore.password")" \
      KAFKA_BROKER_PASSWORD="$(cat "$kafka_users_dir/broker.password")"
  )
  render "$repo/stack/kafka/log4j.properties.in" "$dir/log4j.properties" KAFKA_LOG_DIR="$dir/logs"
  cp "$repo/stack/kafka/jmx-exporter.yml" "$dir/jmx-exporter.yml"
  if [[ ! -f $dir/data/meta.properties ]]; then
    [[ -s $dir/cluster-id ]] ||
      kafka_java -Dlog4j.configuration="file:$dir/log4j.properties" kafka.tools.StorageTool random-uuid >"$dir/cluster-id"
    # The SCRAM users are written into the metadata at format time. The
    # arguments, passwords included, go through a java @argument file so
    # that they never show in ps.
    (
      umask 077
      {
        echo kafka.tools.StorageTool format -t "$(cat "$dir/cluster-id")" -c "$dir/server.properties"
        for user in "${kafka_users[@]}"; do
          echo --add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$kafka_users_dir/$user.password")]"
        done
      } >"$dir/format.args"
    )
    if ! kafka_java -Dlog4j.configuration="file:$dir/log4j.properties" "@$dir/format.args" \
      >>"$dir/logs/stdout.log" 2>&1; then
      rm -f "$dir/format.args"
      die "formatting Kafka's storage failed; see $dir/logs/stdout.log"
    fi
    rm -f "$dir/format.args"
    printf '%s\n' "${kafka_users[@]}" >"$dir/scram-users"
  fi
  launch kafka "$dir/logs/stdout.log" "$java_bin" \
    -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" -Dkafka.logs.dir="$dir/logs" \
    -javaagent:"$jmx_agent=127.0.0.1:$jmx_exporter_port:$dir/jmx-exporter.yml" \
    -cp "$kafka_lib/*" kafka.Kafka "$dir/server.properties"
}

s3_credentials() {
  # Local-only test credentials, made once; the file is outside git (var/).
  local file=$stack_dir/s3/credentials
  if [[ ! -s $file ]]; then
    mkdir -p "$(dirname "$file")"
    (
      umask 077
      printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' \
        "EDGE$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n' | tr a-f A-F)" \
        "$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')" >"$file.tmp"
    )
    mv "$file.tmp" "$file"
  fi
  # shellcheck disable=SC1090
  source "$file"
}

start_s3() {
  local dir=$stack_dir/s3
  mkdir -p "$dir/data"
  # The credentials reach versitygw through its environment, not its
  # command line, so that ps does not show the secret.
  ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
    launch s3 "$dir/s3.log" "$versitygw_bin" --port "127.0.0.1:$s3_port" \
    --region "$s3_region" --quiet posix "$dir/data"
}

start_node-exporter() {
  local dir=$stack_dir/node-exporter
  mkdir -p "$dir/textfile"
  launch node-exporter "$dir/node-exporter.log" prometheus-node-exporter \
    --web.listen-address="127.0.0.1:$node_exporter_port" \
    --collector.textfile.directory="$dir/textfile"
}

start_kafka-exporter() {
  local dir=$stack_dir/kafka-exporter
  mkdir -p "$dir"
  launch kafka-exporter "$dir/kafka-exporter.log" "$(kafka_exporter_bin)" \
    --kafka.server="127.0.0.1:$kafka_port" --web.listen-address="127.0.0.1:$kafka_exporter_port" \
    --tls.ca-file="$kafka_tls_dir/ca.crt" --sasl.username=kafka-exporter \
    --sasl.password-file="$kafka_users_dir/kafka-exporter.password"
}

start_prometheus() {
  local dir=$stack_dir/prometheus
  mkdir -p "$dir/data" "$dir/targets" "$dir/rules"
  render "$repo/stack/prometheus/prometheus.yml.in" "$dir/prometheus.yml" \
    PROMETHEUS_DIR="$dir" PROMETHEUS_PORT="$prometheus_port" REPO="$repo" \
    NODE_EXPORTER_PORT="$node_exporter_port" KAFKA_JMX_EXPORTER_PORT="$jmx_exporter_port" \
    KAFKA_EXPORTER_PORT="$kafka_exporter_port" SIMULATOR_METRICS_PORT="$simulator_metrics_port" \
    PROCESSOR_METRICS_PORT="$processor_metrics_port" ARCHIVER_METRICS_PORT="$archiver_metrics_port"
  promtool check config "$dir/prometheus.yml" >/dev/null ||
    die "Prometheus rejects $dir/prometheus.yml (from stack/prometheus/prometheus.yml.in); run promtool check config on it"
  launch prometheus "$dir/prometheus.log" prometheus \
    --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$prometheus_port" \
    --web.enable-lifecycle
}

# Topics and ACLs (stack/kafka/provision.py), as the admin principal.
# Idempotent, so it also repairs a topic deleted by hand.
create_topics() {
  local spec args=()
  for spec in "${topics[@]}"; do args+=(--topic "$spec"); done
  "$venv_python" "$repo/stack/kafka/provision.py" --bootstrap "127.0.0.1:$kafka_port" \
    --ca-file "$kafka_tls_dir/ca.crt" --admin-password-file "$kafka_users_dir/admin.password" \
    "${args[@]}" 2>>"$stack_dir/kafka/logs/topics.log" ||
    die "creating Kafka's topics or ACLs failed; see $stack_dir/kafka/logs/topics.log"
}

create_bucket() {
  local code
  code=$(s3_curl -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$s3_port/$s3_bucket" || true)
  [[ $code == 200 ]] && return
  code=$(s3_curl -o "$stack_dir/s3/create-bucket.xml" -w '%{http_code}' -X PUT \
    "http://127.0.0.1:$s3_port/$s3_bucket" || true)
  [[ $code == 200 ]] ||
    die "creating bucket $s3_bucket failed with HTTP $code; see $stack_dir/s3/create-bucket.xml and $(log_file s3)"
  say "created bucket $s3_bucket"
}

write_settings() {
  local tmp=$settings_file.tmp
  cat >"$tmp" <<EOF
EDGESTREAM_KAFKA_PORT=$kafka_port
EDGESTREAM_KAFKA_CONTROLLER_PORT=$controller_port
EDGESTREAM_KAFKA_CLUSTER_PORT=$kafka_cluster_port
EDGESTREAM_KAFKA_JMX_EXPORTER_PORT=$jmx_exporter_port
EDGESTREAM_S3_PORT=$s3_port
EDGESTREAM_PROMETHEUS_PORT=$prometheus_port
EDGESTREAM_NODE_EXPORTER_PORT=$node_exporter_port
EDGESTREAM_KAFKA_EXPORTER_PORT=$kafka_exporter_port
EDGESTREAM_SIMULATOR_METRICS_PORT=$simulator_metrics_port
EDGESTREAM_PROCESSOR_METRICS_PORT=$processor_metrics_port
EDGESTREAM_ARCHIVER_METRICS_PORT=$archiver_metrics_port
EDGESTREAM_S3_BUCKET=$s3_bucket
EDGESTREAM_S3_REGION=$s3_region
EOF
  mv "$tmp" "$settings_file"
}

write_env() {
  local tmp=$env_file.tmp
  (
    umask 077
    cat >"$tmp" <<EOF
# Written by scripts/stack.sh start; source it to reach the local stack.
# The S3 keys are local test credentials made by the stack, never real ones.
# Kafka takes only TLS + SASL/SCRAM-SHA-512 clients. The components read the
# EDGESTREAM_*KAFKA* variables below (docs/configuration.md); each has its
# own principal, whose password stays in its file.
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$kafka_port
export EDGESTREAM_KAFKA_SECURITY_PROTOCOL=SASL_SSL
export EDGESTREAM_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
export EDGESTREAM_KAFKA_CA_FILE=$kafka_tls_dir/ca.crt
export EDGESTREAM_SIMULATOR_KAFKA_USERNAME=simulator
export EDGESTREAM_SIMULATOR_KAFKA_PASSWORD_FILE=$kafka_users_dir/simulator.password
export EDGESTREAM_PROCESSOR_KAFKA_USERNAME=processor
export EDGESTREAM_PROCESSOR_KAFKA_PASSWORD_FILE=$kafka_users_dir/processor.password
export EDGESTREAM_ARCHIVER_KAFKA_USERNAME=archiver
export EDGESTREAM_ARCHIVER_KAFKA_PASSWORD_FILE=$kafka_users_dir/archiver.password
export EDGESTREAM_AUDIT_KAFKA_USERNAME=audit
export EDGESTREAM_AUDIT_KAFKA_PASSWORD_FILE=$kafka_users_dir/audit.password
export EDGESTREAM_ADMIN_KAFKA_USERNAME=admin
export EDGESTREAM_ADMIN_KAFKA_PASSWORD_FILE=$kafka_users_dir/admin.password
export EDGESTREAM_KAFKA_ADMIN_CONFIG=$kafka_admin_conf
export S3_ENDPOINT_URL=http://127.0.0.1:$s3_port
export S3_BUCKET=$s3_bucket
export S3_FORCE_PATH_STYLE=true
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export AWS_REGION=$s3_region
export AWS_DEFAULT_REGION=$s3_region
export PROMETHEUS_URL=http://127.0.0.1:$prometheus_port
export EDGESTREAM_PROMETHEUS_TARGETS_DIR=$stack_dir/prometheus/targets
export EDGESTREAM_PROMETHEUS_RULES_DIR=$stack_dir/prometheus/rules
export EDGESTREAM_KAFKA_PORT=$kafka_port
export EDGESTREAM_KAFKA_CONTROLLER_PORT=$controller_port
export EDGESTREAM_KAFKA_CLUSTER_PORT=$kafka_cluster_port
export EDGESTREAM_KAFKA_JMX_EXPORTER_PORT=$jmx_exporter_port
export EDGESTREAM_KAFKA_EXPORTER_PORT=$kafka_exporter_port
export EDGESTREAM_S3_PORT=$s3_port
export EDGESTREAM_PROMETHEUS_PORT=$prometheus_port
export EDGESTREAM_NODE_EXPORTER_PORT=$node_exporter_port
export EDGESTREAM_SIMULATOR_METRICS_PORT=$simulator_metrics_port
export EDGESTREAM_PROCESSOR_METRICS_PORT=$processor_metrics_port
export EDGESTREAM_ARCHIVER_METRICS_PORT=$archiver_metrics_port
EOF
  )
  mv "$tmp" "$env_file"
}

# --- commands --------------------------------------------------------------------

cmd_start() {
  mkdir -p "$stack_dir"
  [[ -x $venv_python ]] || die "$venv_python is missing (the stack makes Kafka's topics and ACLs with it); run scripts/install-deps.sh"
  local name running=() started=() port
  for name in "${services[@]}"; do
    if service_pid "$name" >/dev/null; then running+=("$name"); fi
  done
  if ((${#running[@]} == ${#services[@]})); then
    s3_credentials
    for name in "${services[@]}"; do wait_ready "$name"; done
    # Cheap, and repairs a topic or bucket deleted by hand.
    create_topics
    create_bucket
    write_env
    say "already running (${services[*]}); environment in $env_file"
    return
  fi
  cmd_install
  s3_credentials
  write_settings
  for name in "${services[@]}"; do
    service_pid "$name" >/dev/null && continue
    for port in $(service_ports "$name"); do
      port_in_use "$port" &&
        die "port $port (for $name) is taken by a process this script did not start; stop it or choose other EDGESTREAM_*_PORT values"
    done
    "start_$name"
    started+=("$name")
  done
  for name in "${services[@]}"; do
    wait_ready "$name"
    case $name in
      kafka) create_topics ;;
      s3) create_bucket ;;
    esac
  done
  write_env
  say "started ${started[*]}; running: ${services[*]}"
  say "environment in $env_file (source it)"
}

# Stops one service if it runs; prints its name if it did.
stop_service() {
  local name=$1 pid deadline
  if ! pid=$(service_pid "$name"); then
    rm -f "$(pid_file "$name")"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Kafka's controlled shutdown takes a few seconds; give every service 60.
  deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) ignored SIGTERM for 60s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
  echo "$name"
}

cmd_stop() {
  local i name stopped=()
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do
    name=$(stop_service "${services[i]}")
    [[ -n $name ]] && stopped+=("$name")
  done
  if ((${#stopped[@]})); then say "stopped ${stopped[*]}"; else say "not running"; fi
}

cmd_restart() {
  local name=${1:-}
  [[ " ${services[*]} " == *" $name "* ]] || die "restart which service? one of: ${services[*]}"
  stop_service "$name" >/dev/null
  cmd_start
}

cmd_status() {
  local name pid all=0
  [[ -f $stack_dir/s3/credentials ]] && s3_credentials
  for name in "${services[@]}"; do
    if pid=$(service_pid "$name"); then
      if ready "$name"; then
        printf '%-15s running (pid %s, port %s)\n' "$name" "$pid" "$(service_ports "$name" | tr ' ' ,)"
      else
        printf '%-15s not answering (pid %s); see %s\n' "$name" "$pid" "$(log_file "$name")"
        all=1
      fi
    else
      printf '%-15s stopped\n' "$name"
      all=1
    fi
  done
  return $all
}

cmd_clean() {
  cmd_stop
  rm -rf "$stack_dir" "$env_file"
  say "deleted $stack_dir and $env_file (downloads stay in $cache_dir)"
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_restart "${2:-}" ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  *)
    echo "usage: scripts/stack.sh install|start|stop|status|clean|restart SERVICE" >&2
    exit 2
    ;;
esac
