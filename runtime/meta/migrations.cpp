#include "meta/migrations.h"

#include <fmt/format.h>

namespace mlpc::meta {
namespace {

// Version 1: runs, executions, lineage, cache index, metrics, file hashes, model registry.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE runs (
  id          TEXT PRIMARY KEY,
  pipeline    TEXT NOT NULL,
  entry       TEXT NOT NULL,
  plan_hash   TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
  message     TEXT NOT NULL DEFAULT '',
  started_at  REAL NOT NULL,
  finished_at REAL,
  host        TEXT NOT NULL DEFAULT '',
  pid         INTEGER NOT NULL,
  pid_start   INTEGER NOT NULL DEFAULT 0,
  ran         INTEGER NOT NULL DEFAULT 0,
  cached      INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0,
  skipped     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_start ON runs (started_at);
CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE run_params (
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE executions (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  node        TEXT NOT NULL,
  step        TEXT NOT NULL,
  cache_key   TEXT NOT NULL DEFAULT '',
  status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cached',
                                              'skipped', 'timed_out', 'cancelled')),
  exit_code   INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  started_at  REAL NOT NULL,
  finished_at REAL,
  stdout_path TEXT NOT NULL DEFAULT '',
  stderr_path TEXT NOT NULL DEFAULT '',
  source      TEXT NOT NULL DEFAULT '',
  command     TEXT NOT NULL DEFAULT '',
  image       TEXT NOT NULL DEFAULT '',
  cached_from INTEGER REFERENCES executions (id) ON DELETE SET NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX executions_by_run ON executions (run_id, id);
CREATE INDEX executions_by_cache_key ON executions (cache_key, finished_at)
  WHERE status = 'succeeded';
CREATE INDEX executions_by_cached_from ON executions (cached_from) WHERE cached_from IS NOT NULL;

CREATE TABLE artifacts (
  hash       TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  size       INTEGER NOT NULL,
  type       TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
) WITHOUT ROWID;

-- `kind` is repeated on the bindings because an empty directory and an empty file share a hash.
CREATE TABLE execution_inputs (
  execution_id  INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  artifact_hash TEXT NOT NULL REFERENCES artifacts (hash),
  kind          TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
CREATE INDEX execution_inputs_by_artifact ON execution_inputs (artifact_hash);

CREATE TABLE execution_outputs (
  execution_id  INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  artifact_hash TEXT NOT NULL REFERENCES artifacts (hash),
  kind          TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
  PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
CREATE INDEX execution_outputs_by_artifact ON execution_outputs (artifact_hash);

CREATE TABLE execution_code (
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  path         TEXT NOT NULL,
  hash         TEXT NOT NULL,
  PRIMARY KEY (execution_id, path)
) WITHOUT ROWID;

CREATE TABLE metrics (
  run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  value        REAL NOT NULL,
  PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
CREATE INDEX metrics_by_run ON metrics (run_id, name);

CREATE TABLE file_hashes (
  path     TEXT PRIMARY KEY,
  dev      INTEGER NOT NULL,
  ino      INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  hash     TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE model_versions (
  group_name    TEXT NOT NULL,
  version       INTEGER NOT NULL CHECK (version > 0),
  artifact_hash TEXT NOT NULL REFERENCES artifacts (hash),
  run_id        TEXT REFERENCES runs (id),
  execution_id  INTEGER REFERENCES executions (id),
  metrics_json  TEXT NOT NULL DEFAULT '{}',
  tags_json     TEXT NOT NULL DEFAULT '{}',
  status        TEXT NOT NULL,
  created_at    REAL NOT NULL,
  PRIMARY KEY (group_name, version)
);

CREATE TABLE model_version_events (
  id          INTEGER PRIMARY KEY,
  group_name  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  from_status TEXT,
  to_status   TEXT NOT NULL,
  actor       TEXT NOT NULL DEFAULT '',
  at          REAL NOT NULL,
  comment     TEXT NOT NULL DEFAULT '',
  FOREIGN KEY (group_name, version) REFERENCES model_versions (group_name, version)
);
CREATE INDEX model_version_events_by_version ON model_version_events (group_name, version, id);
)sql";

// v2: when a step became ready to run, so `show` can tell time spent waiting for a free slot
// (-j) from time spent running (NULL for executions recorded before v2 and for cache hits); and
// which model version a run reproduces (`mlpc reproduce`), so such runs are marked in `runs` and
// kept out of the report's charts (NULL for ordinary runs).
constexpr std::string_view kV2 = R"sql(
ALTER TABLE executions ADD COLUMN queued_at REAL;
ALTER TABLE runs ADD COLUMN reproduction_of TEXT;
)sql";

// v3: the code files a run kept in the object store when it started (every `code` file of the
// plan's steps and servers, and the stdlib scripts the runtime runs), so `mlpc reproduce` runs
// the recorded bytes rather than today's files. `hash` is NULL for a file that did not exist.
// Runs from before v3 have no rows.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE run_code (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  dir    TEXT NOT NULL,
  path   TEXT NOT NULL,
  hash   TEXT,
  PRIMARY KEY (run_id, dir, path)
) WITHOUT ROWID;
)sql";

// v4: deployments (issue 8). The agent (`mlpc up`) records each endpoint's current state, every
// deployment of a model version to an endpoint with its outcome, the traffic steps it went
// through, the events around it (instance starts and crashes, alarm readings, rollbacks), and
// the server processes it runs (pid with its start time, so a later agent can tell its own
// leftovers from unrelated processes). Times are Unix seconds.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE deployments (
  id           INTEGER PRIMARY KEY,
  endpoint     TEXT NOT NULL,
  model_group  TEXT NOT NULL,
  version      INTEGER,
  from_version INTEGER,
  strategy     TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL CHECK (status IN ('InProgress', 'Succeeded', 'RolledBack', 'Failed',
                                               'Stopped')),
  reason       TEXT NOT NULL DEFAULT '',
  started_at   REAL NOT NULL,
  finished_at  REAL
);
CREATE INDEX deployments_by_endpoint ON deployments (endpoint, id);

CREATE TABLE endpoint_state (
  endpoint     TEXT PRIMARY KEY,
  url          TEXT NOT NULL DEFAULT '',
  mode         TEXT NOT NULL DEFAULT 'realtime',
  state        TEXT NOT NULL CHECK (state IN ('Creating', 'InService', 'Updating', 'RollingBack',
                                              'Failed', 'Stopped')),
  reason       TEXT NOT NULL DEFAULT '',
  traffic_json TEXT NOT NULL DEFAULT '{}',
  updated_at   REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE traffic_steps (
  id            INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  at            REAL NOT NULL,
  traffic_json  TEXT NOT NULL,
  note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX traffic_steps_by_deployment ON traffic_steps (deployment_id, id);

CREATE TABLE deployment_events (
  id            INTEGER PRIMARY KEY,
  endpoint      TEXT NOT NULL,
  deployment_id INTEGER REFERENCES deployments (id) ON DELETE CASCADE,
  at            REAL NOT NULL,
  kind          TEXT NOT NULL,
  detail_json   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX deployment_events_by_endpoint ON deployment_events (endpoint, id);

CREATE TABLE endpoint_instances (
  endpoint   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  pid        INTEGER NOT NULL,
  pid_start  INTEGER NOT NULL DEFAULT 0,
  port       INTEGER NOT NULL,
  started_at REAL NOT NULL,
  PRIMARY KEY (endpoint, pid)
) WITHOUT ROWID;
)sql";

// v5: schedules (issue 9). Every time the agent fires a `schedule` (cron, every, on_change) it
// records why, the pipeline run it started (or why it started none) and how that run ended.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE schedule_runs (
  id          INTEGER PRIMARY KEY,
  schedule    TEXT NOT NULL,
  trigger     TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '',
  fired_at    REAL NOT NULL,
  status      TEXT NOT NULL,
  run_id      TEXT,
  exit_code   INTEGER,
  finished_at REAL
);
CREATE INDEX schedule_runs_by_schedule ON schedule_runs (schedule, id);
)sql";

// Version 6: monitoring executions (issue 9). One row per monitoring run of a `monitor`: the
// window of captured requests it read, what it found (worst psi/ks/missing, the per-feature values
// as JSON, the violations), whether the alert fired, and the retraining run `on_alert` started.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE monitor_executions (
  id             INTEGER PRIMARY KEY,
  monitor        TEXT NOT NULL,
  endpoint       TEXT NOT NULL,
  model_group    TEXT NOT NULL DEFAULT '',
  model_version  INTEGER,
  baseline       TEXT NOT NULL DEFAULT '',
  window_start   REAL NOT NULL,
  window_end     REAL NOT NULL,
  status         TEXT NOT NULL,
  detail         TEXT NOT NULL DEFAULT '',
  records        INTEGER NOT NULL DEFAULT 0,
  rows_seen      INTEGER NOT NULL DEFAULT 0,
  skipped        INTEGER NOT NULL DEFAULT 0,
  psi            REAL,
  ks             REAL,
  missing        REAL,
  violations     INTEGER NOT NULL DEFAULT 0,
  features_json  TEXT NOT NULL DEFAULT '[]',
  report_dir     TEXT NOT NULL DEFAULT '',
  alert          INTEGER NOT NULL DEFAULT 0,
  retrain_status TEXT,
  run_id         TEXT,
  retrain_detail TEXT NOT NULL DEFAULT '',
  finished_at    REAL
);
CREATE INDEX monitor_executions_by_monitor ON monitor_executions (monitor, id);
CREATE INDEX monitor_executions_by_run ON monitor_executions (run_id);
)sql";

// Version 7: baselines are artifacts (issue 9). A monitor's baseline statistics and constraints
// are kept in the store as one directory object (SageMaker's statistics.json and constraints.json),
// and this row ties it to the data it describes (`data_hash`: the training data's artifact, or
// the bytes of a `data` declaration's file); each monitoring execution names the baseline object
// it compared against.
constexpr std::string_view kV7 = R"sql(
CREATE TABLE baselines (
  hash        TEXT PRIMARY KEY,
  data_hash   TEXT NOT NULL,
  data_name   TEXT NOT NULL DEFAULT '',
  data_path   TEXT NOT NULL DEFAULT '',
  rows_seen   INTEGER NOT NULL,
  created_at  REAL NOT NULL
);
CREATE INDEX baselines_by_data ON baselines (data_hash);
ALTER TABLE monitor_executions ADD COLUMN baseline_hash TEXT;
)sql";

// Version 8: a cache hit is one row (issue 12). An execution that reused another's outputs
// (`cached_from`) has the same action, so the same inputs, outputs and code: it now has no rows
// of its own in the binding and code tables, and readers follow `cached_from` instead
// (sqlite_executions.cpp). Rows that earlier versions copied for each hit are removed, so every
// database reads the same way; a fully cached re-run writes a third of the rows it did.
constexpr std::string_view kV8 = R"sql(
DELETE FROM execution_inputs
  WHERE execution_id IN (SELECT id FROM executions WHERE cached_from IS NOT NULL);
DELETE FROM execution_outputs
  WHERE execution_id IN (SELECT id FROM executions WHERE cached_from IS NOT NULL);
DELETE FROM execution_code
  WHERE execution_id IN (SELECT id FROM executions WHERE cached_from IS NOT NULL);
)sql";

// Version 9: a cache hit's row holds no copies (issue 12). Its stdout and stderr paths, command,
// image and action (`params_json`, which its cache key is the hash of) are the reused execution's,
// and readers take them from there (MLPC_EXEC_COLUMNS). Each hit of a fully cached re-run wrote
// its step's whole action again; now it writes a short row. The cache-key index also holds what
// a lookup reads of an execution, in the order it reads candidates (newest first, then by id),
// so a lookup reads the index alone: SQLite 3.40 counts a partial index as covering only when
// it holds the column of its own WHERE (status) too.
constexpr std::string_view kV9 = R"sql(
UPDATE executions SET stdout_path = '', stderr_path = '', command = '', image = '',
  params_json = '{}'
  WHERE cached_from IS NOT NULL;
DROP INDEX executions_by_cache_key;
CREATE INDEX executions_by_cache_key ON executions (cache_key, finished_at, id, run_id, status)
  WHERE status = 'succeeded';
)sql";

// Version 10: a re-run that repeats the run before it indexes its hits by that run's rows (issue
// 12). Each hit's `cached_from` names the execution that ran, so a re-run inserted one entry per
// step into `executions_by_cached_from` at that execution's place: scattered over the whole
// index, which every re-run therefore rewrote, slower with each (10,000 steps: 0.17 s at the
// first no-op re-run, 0.22 s at the sixtieth). A repeat's hit now also names the row of the run
// it repeats (`repeat_of`, newer than every row before it, so its index grows at one end) and is
// left out of `executions_by_cached_from`; a reader that looks for the hits of an execution
// follows `repeat_of` from there (SqliteMetaStore::consumersOf). `cached_from` still names the
// execution that ran, and every other reader is unchanged.
constexpr std::string_view kV10 = R"sql(
ALTER TABLE executions ADD COLUMN repeat_of INTEGER REFERENCES executions (id) ON DELETE SET NULL;
DROP INDEX executions_by_cached_from;
CREATE INDEX executions_by_cached_from ON executions (cached_from)
  WHERE cached_from IS NOT NULL AND repeat_of IS NULL;
CREATE INDEX executions_by_repeat_of ON executions (repeat_of) WHERE repeat_of IS NOT NULL;
)sql";

} // namespace

const std::vector<std::string_view>& schemaMigrations() {
  static const std::vector<std::string_view> migrations = {kV1, kV2, kV3, kV4, kV5,
                                                           kV6, kV7, kV8, kV9, kV10};
  return migrations;
}

int latestSchemaVersion() {
  return static_cast<int>(schemaMigrations().size());
}

Result<int> migrate(sqlite::Db& db) {
  return migrate(db, schemaMigrations());
}

Result<int> migrate(sqlite::Db& db, const std::vector<std::string_view>& migrations) {
  Result<sqlite::Transaction> txn = sqlite::Transaction::write(db);
  if (!txn) return txn.err();
  if (Status s = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      !s)
    return s.err();
  int current = 0;
  { // scoped so the statement is reset before the schema changes
    Result<sqlite::Query> q = db.query("SELECT max(version) FROM schema_version");
    if (!q) return q.err();
    if (Result<bool> row = q->step(); !row) return row.err();
    current = static_cast<int>(q->optInt64(0).value_or(0));
  }
  int latest = static_cast<int>(migrations.size());
  if (current > latest)
    return fail(fmt::format("{}: schema version {} is newer than this mlpc supports ({}); "
                            "use a newer mlpc",
                            db.path(), current, latest));
  if (current == latest) return current;
  for (int v = current; v < latest; ++v) {
    if (Status s = db.exec(migrations[static_cast<size_t>(v)]); !s)
      return fail(fmt::format("migrating to schema version {}: {}", v + 1, s.error()));
  }
  if (Status s = db.exec("DELETE FROM schema_version"); !s) return s.err();
  {
    Result<sqlite::Query> set = db.query("INSERT INTO schema_version (version) VALUES (?1)");
    if (!set) return set.err();
    if (Status s = set->bind(1, latest).run(); !s) return s.err();
  }
  if (Status s = txn->commit(); !s) return s.err();
  return latest;
}

} // namespace mlpc::meta
