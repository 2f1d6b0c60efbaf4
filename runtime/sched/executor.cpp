#include "sched/executor.h"

#include "exec/interrupt.h"
#include "exec/shell_quote.h"
#include "meta/metrics_json.h"
#include "plan/expr_text.h"
#include "sched/code_snapshot.h"
#include "sched/output_syncer.h"
#include "sched/repeat_run.h"
#include "sched/step_command.h"
#include "sched/step_props.h"
#include "sched/values.h"
#include "store/object_probe.h"
#include "store/sha256.h"
#include "store/workspace_lock.h"

#include "mlpc/version.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <netinet/in.h>
#include <optional>
#include <set>
#include <sys/socket.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;

namespace mlpc::sched {

using meta::ExecStatus;

namespace {

/// The same value in another nlohmann flavour, without a text round trip: to nlohmann::json
/// (keys sorted, which makes its dump canonical) and back to the plan's ordered Json.
template <class To, class From> To convert(const From& x) {
  switch (x.type()) {
  case From::value_t::object: {
    To out = To::object();
    for (auto& [k, v] : x.items())
      out[k] = convert<To>(v);
    return out;
  }
  case From::value_t::array: {
    To out = To::array();
    for (auto& v : x)
      out.push_back(convert<To>(v));
    return out;
  }
  case From::value_t::string:
    return x.template get<std::string>();
  case From::value_t::boolean:
    return x.template get<bool>();
  case From::value_t::number_integer:
    return x.template get<int64_t>();
  case From::value_t::number_unsigned:
    return x.template get<uint64_t>();
  case From::value_t::number_float:
    return x.template get<double>();
  default:
    return nullptr;
  }
}

nlohmann::json sorted(const Json& x) {
  return convert<nlohmann::json>(x);
}

/// Artifacts by content: their paths differ from run to run.
nlohmann::json canonicalArg(const Json& x) {
  if (isArtifact(x)) return nlohmann::json{{"sha256", sorted(x["$artifact"])}};
  if (x.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& y : x)
      out.push_back(canonicalArg(y));
    return out;
  }
  return sorted(x);
}

/// The keys of a canonical action that depend only on the step's definition: computed once per
/// definition by a run, not once per call (a 10,000-step re-run calls one definition 10,000 times).
nlohmann::json definitionKeys(const std::string& stepKey, const plan::StepDef& def) {
  // nlohmann::json (not ordered_json) sorts keys, which makes the dump canonical. Cache keys
  // are the SHA-256 of this dump, so its bytes must not change between versions of mlpc
  // (tests/unit/runtime pins one).
  nlohmann::json a;
  a["action_version"] = 1;
  a["mlpc"] = ::mlpc::kVersion;
  a["step"] = stepKey;
  a["run"] = sorted(plan::toJson(def.run));
  a["image"] = sorted(plan::toJson(def.image));
  a["env"] = sorted(plan::envJson(def));
  a["outputs"] = sorted(plan::outputsJson(def));
  return a;
}

/// definitionKeys plus one call's code hashes and argument values.
nlohmann::json withCall(nlohmann::json a, const Json& args, const Json& codeHashes) {
  a["code"] = sorted(codeHashes);
  nlohmann::json av = nlohmann::json::object();
  for (auto& [k, v] : args.items())
    av[k] = canonicalArg(v);
  a["args"] = std::move(av);
  return a;
}

} // namespace

Json canonicalAction(const std::string& stepKey, const plan::StepDef& def, const Json& args,
                     const Json& codeHashes) {
  return convert<Json>(withCall(definitionKeys(stepKey, def), args, codeHashes));
}

namespace {

using Clock = std::chrono::steady_clock;
double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

enum class State { Waiting, Running, Done, Failed, Skipped, Unknown };

/// How a transform's execution names the stdlib script that drives its shards (its code).
constexpr const char* kShardDriver = "@stdlib/std/sklearn/transform_shard.py";

struct Task {
  std::string key; ///< node id with loop indices, e.g. "m[2]"
  std::string nodeId;
  const plan::Node* node = nullptr;
  std::string kind; ///< the node's kind ("call", "for", …) or "shard" for a transform's process
  std::vector<size_t> indices;
  std::map<std::string, Json> vars;
  Task* parent = nullptr;
  int openChildren = 0;
  bool childFailed = false, childUnknown = false;
  size_t iterations = 0;
  std::vector<Task*> children;
  std::vector<Task*> dependents;
  int pendingDeps = 0;
  State state = State::Waiting;
  std::string reason; ///< why skipped / unknown
  Json value;

  // A process (step call or transform shard).
  std::string stepKey;
  std::string command, workdir, scratch, stdoutPath, stderrPath;
  std::map<std::string, std::string> outPaths;
  std::vector<std::pair<std::string, std::string>> env;
  Json action;
  std::string actionText; ///< action.dump(): hashed for the key, recorded as params_json
  std::string cacheKey;
  std::vector<meta::Binding> inputs;
  std::vector<meta::CodeRef> code;
  int attempt = 0, maxAttempts = 1;
  double backoff = 0, timeout = 0, cpu = 1, memory = 0;
  long long gpu = 0;
  std::optional<double> expire; ///< the step's `cache` expiry for this call
  int64_t execId = 0;
  double notBefore = 0;
  double launchedAt = 0; ///< wall-clock time its first attempt started (0: not yet)
  Clock::time_point started;
};

std::string keyOf(const std::string& id, const std::vector<size_t>& idx, size_t depth) {
  std::string k = id;
  for (size_t i = 0; i < depth && i < idx.size(); ++i)
    k += "[" + std::to_string(idx[i]) + "]";
  return k;
}

std::string sanitize(const std::string& s) {
  std::string o;
  for (char c : s)
    o += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  return o;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string l;
  while (std::getline(in, l)) {
    last.push_back(l);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (auto& x : last)
    out += "    | " + x + "\n";
  return out;
}

} // namespace

struct Executor::Impl {
  Impl(const plan::Plan& p, const RunOptions& o, store::Store& s, meta::MetaStore& m,
       exec::CommandRunner& r, Progress& pr)
      : plan(p), opts(o), store(s), meta(m), runner(r), progress(pr), hcBackend(m),
        hashCache(&hcBackend), objects(s) {}
  ~Impl() {
    if (syncer) runner.watchWakeFd(-1); // the runner outlives this run and its fd
  }

  const plan::Plan& plan;
  RunOptions opts;
  store::Store& store;
  meta::MetaStore& meta;
  exec::CommandRunner& runner;
  Progress& progress;
  meta::MetaHashCacheBackend hcBackend;
  store::HashCache hashCache;
  /// Whether a cache hit's outputs are still stored (store.has, by paths relative to the store).
  store::ObjectProbe objects;
  /// The check every cache lookup and repeat makes of an output before reusing it.
  auto outputStored() const {
    return [this](const meta::ArtifactRecord& a) { return objects.has(a.hash, a.kind); };
  }

  /// Held shared while a real run stores objects and records them, so `mlpc verify --repair`
  /// never removes an object this run has stored but not recorded yet, or found stored and is
  /// about to refer to (store/workspace_lock.h).
  std::optional<store::WorkspaceLock> writerLock;
  std::string runId;
  Json params = Json::object();
  std::map<std::string, Json> dataValues;
  std::string inputsText; ///< this run's inputs.json, as hashData wrote it
  std::map<std::string, std::vector<std::string>> forChains; ///< node id -> enclosing for ids
  std::map<std::string, const plan::Node*> nodeById;
  std::deque<std::unique_ptr<Task>> tasks;
  std::map<std::string, Task*> byKey;
  std::deque<Task*> ready;
  /// Steps recorded and waiting for a slot, in the order they became ready (retries at the
  /// back). A deque: a step almost always leaves from the front, and a run of 10,000 steps can
  /// have thousands waiting.
  std::deque<Task*> waitingToLaunch;
  size_t retriesWaiting = 0; ///< how many of waitingToLaunch wait out a retry's backoff
  /// Whether this pass's writes go to one transaction (beginBatch), which holds the database's
  /// write lock: slow I/O is done outside it (concatShards), or other processes' writes wait.
  bool batchOpen = false;
  std::map<uint64_t, Task*> running;
  uint64_t nextCmd = 1;
  double usedCpu = 0, usedMemory = 0;
  bool stopping = false, interrupted = false;
  std::string failMessage;
  meta::RunCounts counts;
  std::vector<PlanDecision> decisions;
  std::map<std::string, Json> previousActions; ///< for `mlpc plan`'s explanations
  std::map<const plan::StepDef*, nlohmann::json> actionDefinitions; ///< see definitionKeys
  std::set<std::string> singleOutput; ///< for conditions as text (filled on first use)
  /// Executions that ran nothing (cache hits, skipped steps), written in batches: they point
  /// only at what is already stored, so a crash before a batch is written loses nothing.
  std::vector<std::pair<meta::ExecutionRecord, meta::ExecutionIo>> batchedRecords;
  /// A step whose process succeeded and whose outputs are staged: recorded as succeeded once
  /// they are stored (by the syncer, or at once without one).
  struct Finishing {
    Task* task = nullptr;
    exec::CommandResult result;
    meta::ExecutionFinish finish;
    Json value;
    double secs = 0;
  };
  /// Makes outputs durable on a thread of its own; only with a runner whose waitAny() wakes for
  /// it (the process runner), and started when a step first has outputs to wait for.
  std::unique_ptr<OutputSyncer> syncer;
  bool syncerTried = false;
  std::map<uint64_t, Finishing> finishing; ///< by job token, while the syncer has them
  uint64_t nextJob = 1;

  void holdLookups(bool on) {
    if (auto s = meta.holdLookups(on); !s && failMessage.empty())
      failMessage = "cannot read the cache: " + s.error();
  }

  /// A batch that cannot begin (the database stayed locked) leaves each write to its own
  /// transaction, as without one.
  void beginBatch() { batchOpen = meta.beginBatch().ok(); }

  /// A batch that fails to commit recorded nothing of its pass: stop, before any step it
  /// recorded as started can run.
  void endBatch() {
    if (!batchOpen) return;
    batchOpen = false;
    if (auto s = meta.endBatch(); !s) {
      if (failMessage.empty()) failMessage = "cannot record the run's progress: " + s.error();
      stopping = true;
    }
  }

  void flushBatched() {
    if (auto s = meta.recordExecutions(batchedRecords); !s && failMessage.empty())
      failMessage = "cannot record cached steps: " + s.error();
    batchedRecords.clear();
  }

  // ---- setup
  void indexNodes(const std::vector<plan::Node>& list, std::vector<std::string> chain) {
    for (auto& n : list) {
      nodeById[n.id] = &n;
      forChains[n.id] = chain;
      if (auto* f = n.as<plan::ForNode>()) {
        auto inner = chain;
        inner.push_back(n.id);
        indexNodes(f->body, inner);
      }
      if (auto* i = n.as<plan::IfNode>()) {
        indexNodes(i->then, chain);
        indexNodes(i->otherwise, chain);
      }
    }
  }

  std::string resolveDir(const std::string& dir) const {
    if (dir.rfind("@stdlib/", 0) == 0) {
      std::string rel = dir.substr(8);
      for (auto& root : opts.stdlibDirs)
        if (fs::is_directory(fs::path(root) / rel)) return (fs::path(root) / rel).string();
      return (fs::path(opts.stdlibDirs.empty() ? "." : opts.stdlibDirs[0]) / rel).string();
    }
    return (fs::path(opts.baseDir) / dir).lexically_normal().string();
  }

  /// Hashes the file or directory at `rel` (relative to the base directory) and, unless this is
  /// a dry run, stores its bytes: the artifact value of a `data` declaration or an artifact-typed
  /// pipeline parameter. `source` is what the declaration promised: "file", "dir", or "path"
  /// (either). `what` and `origin` name the value in errors ("data `x`", "declared at f:1:2").
  std::optional<Json> hashSource(const std::string& what, const std::string& rel,
                                 const std::string& source, const std::string& type,
                                 const std::string& origin, std::string& error) {
    std::string path = (fs::path(opts.baseDir) / rel).lexically_normal();
    std::string where = " (" + origin + ")";
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      error = what + " not found: " + path + where;
      return std::nullopt;
    }
    // What the declaration promised: `file(…)` a regular file, `dir(…)` a directory. Anything
    // else is refused before it is read (reading a FIFO would block the run for good).
    fs::file_type ft = fs::status(path, ec).type();
    bool isDir = ft == fs::file_type::directory;
    bool isData = what.rfind("data ", 0) == 0;
    std::string promised = isData ? " is declared with " + source + "(…)" : " is a `" + type + "`";
    if (source == "dir" && !isDir) {
      error = what + promised + ", but " + path + " is not a directory" + where;
      return std::nullopt;
    }
    if (source == "file" && ft != fs::file_type::regular) {
      error = what + promised + ", but " + path +
              (isDir ? (isData ? " is a directory (use dir(…))" : " is a directory")
                     : " is not a regular file") +
              where;
      return std::nullopt;
    }
    if (!isDir && ft != fs::file_type::regular) {
      error = what + ": " + path + " is neither a regular file nor a directory" + where;
      return std::nullopt;
    }
    std::string hash;
    if (isDir) {
      auto t = hashCache.hashTree(path);
      if (!t) {
        error = "cannot hash " + what + ": " + t.error();
        return std::nullopt;
      }
      hash = t->hash;
    } else {
      auto h = hashCache.hashFile(path);
      if (!h) {
        error = "cannot hash " + what + ": " + h.error();
        return std::nullopt;
      }
      hash = *h;
    }
    store::ArtifactKind kind = isDir ? store::ArtifactKind::Dir : store::ArtifactKind::File;
    if (!opts.dryRun && !store.has(hash, kind)) {
      auto a = store.put(path, false);
      if (!a) {
        error = "cannot store " + what + ": " + a.error();
        return std::nullopt;
      }
      hash = a->hash;
    }
    if (!opts.dryRun) {
      meta::ArtifactRecord rec;
      rec.hash = hash;
      rec.kind = kind;
      rec.type = type;
      auto st = store.stat(hash, kind);
      rec.size = st ? st->size : 0;
      if (auto s = meta.recordArtifact(rec); !s) {
        error = s.error();
        return std::nullopt;
      }
    }
    return artifactValue(hash, isDir ? "dir" : "file", type);
  }

  /// Binds every artifact-typed pipeline parameter to the artifact of the bytes it names, before
  /// the run is recorded: so the run's params show the hash, a step that reads the parameter is
  /// cached by those bytes, and a missing path fails before any step runs. A value that is
  /// already an artifact (`mlpc reproduce` passes the recorded one) must still be in the store.
  bool resolveArtifactParams(std::string& error) {
    for (auto& p : plan.pipeline.params) {
      const std::string& name = p.name;
      const std::string& type = p.type;
      if (!plan::isArtifactType(type)) continue;
      std::string what = "parameter `" + name + "`";
      if (p.recordedArtifact()) {
        if (!recordedBytesStored(p.value, what, error)) return false;
        params[name] = p.value;
        continue;
      }
      auto src = p.source();
      if (!src) {
        error = what + " is a `" + type + "`, but its value in the plan is not a path";
        return false;
      }
      auto a = hashSource(what, src->path, src->source, type,
                          "declared at " + (p.range.empty() ? "?" : p.range), error);
      if (!a) return false;
      params[name] = *a;
    }
    (void)hashCache.flush();
    return true;
  }

  /// Whether a recorded artifact value (`{"$artifact": hash, "kind": …}`, as reproduction and
  /// hand-made plans carry) still has its bytes in the store; if not, says so for `what`.
  bool recordedBytesStored(const Json& a, const std::string& what, std::string& error) {
    const std::string hash = a["$artifact"].get<std::string>();
    if (store.has(hash, isDirArtifact(a) ? store::ArtifactKind::Dir : store::ArtifactKind::File))
      return true;
    error = "the recorded bytes of " + what + " (" + hash.substr(0, 12) +
            ") are no longer in the store";
    return false;
  }

  bool hashData(std::string& error) {
    for (auto& [name, d] : plan.data) {
      if (auto o = opts.dataOverrides.find(name); o != opts.dataOverrides.end()) {
        const Json& a = o->second;
        if (!recordedBytesStored(a, "data `" + name + "`", error)) return false;
        dataValues[name] = a;
        continue;
      }
      auto v = hashSource("data `" + name + "`", d.path, d.source, d.type, "declared at " + d.range,
                          error);
      if (!v) return false;
      dataValues[name] = *v;
    }
    (void)hashCache.flush();
    if (!opts.dryRun && !runId.empty()) {
      // The exact input bytes of this run, for `mlpc reproduce`.
      Json inputs = Json::object();
      for (auto& [k, v] : dataValues)
        inputs[k] = v;
      inputsText = inputs.dump(2);
      std::ofstream(fs::path(store.workspace()) / "runs" / runId / "inputs.json") << inputsText;
    }
    return true;
  }

  // ---- evaluation
  std::optional<Json> nodeValue(const std::string& id, const std::vector<size_t>& idx, int lifted) {
    auto chain = forChains.find(id);
    if (chain == forChains.end()) return std::nullopt;
    size_t depth = chain->second.size();
    // A plan from `mlpc compile` never lifts a reference out of more loops than surround its
    // node, nor from outside them; a hand-edited one may.
    if (lifted < 0 || static_cast<size_t>(lifted) > depth ||
        idx.size() < depth - static_cast<size_t>(lifted))
      return std::nullopt;
    if (lifted == 0) {
      auto it = byKey.find(keyOf(id, idx, depth));
      if (it == byKey.end() || it->second->state != State::Done) return std::nullopt;
      return it->second->value;
    }
    size_t forDepth = depth - static_cast<size_t>(lifted);
    auto fit = byKey.find(keyOf(chain->second[forDepth], idx, forDepth));
    if (fit == byKey.end() || fit->second->state != State::Done) return std::nullopt;
    Json out = Json::array();
    for (size_t i = 0; i < fit->second->iterations; ++i) {
      std::vector<size_t> inner(idx.begin(), idx.begin() + static_cast<long>(forDepth));
      inner.push_back(i);
      auto v = nodeValue(id, inner, lifted - 1);
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }

  EvalEnv env() {
    EvalEnv e;
    e.params = &params;
    e.node = [this](const std::string& id, const std::vector<size_t>& idx, int lifted) {
      return nodeValue(id, idx, lifted);
    };
    e.data = [this](const std::string& name) -> std::optional<Json> {
      auto it = dataValues.find(name);
      if (it == dataValues.end()) return std::nullopt;
      return it->second;
    };
    e.readJson = [this](const Json& art, std::string& err) -> std::optional<Json> {
      auto p = store.path(art["$artifact"].get<std::string>(), store::ArtifactKind::File);
      if (!p) {
        err = p.error();
        return std::nullopt;
      }
      return readJsonFile(*p, err);
    };
    return e;
  }

  std::optional<Json> eval(const ExprP& expr, Task& t, std::string& err) {
    EvalScope scope{t.indices, t.vars};
    return evaluate(expr, scope, env(), err);
  }

  // ---- the graph
  void createTasks(const std::vector<plan::Node>& list, const std::vector<size_t>& idx,
                   const std::map<std::string, Json>& vars, Task* parent) {
    std::vector<Task*> made;
    for (auto& n : list) {
      auto t = std::make_unique<Task>();
      t->nodeId = n.id;
      t->node = &n;
      t->kind = n.kindName();
      t->indices = idx;
      t->vars = vars;
      t->key = keyOf(t->nodeId, idx, idx.size());
      t->parent = parent;
      byKey[t->key] = t.get();
      made.push_back(t.get());
      tasks.push_back(std::move(t));
    }
    if (parent) {
      parent->openChildren += static_cast<int>(made.size());
      parent->children.insert(parent->children.end(), made.begin(), made.end());
    }
    for (Task* t : made) {
      auto refs = t->node->refs();
      State blocked = State::Waiting;
      std::string why;
      for (auto& [id, lifted] : refs) {
        auto chain = forChains.find(id);
        if (chain == forChains.end()) continue;
        size_t depth = chain->second.size();
        if (lifted < 0 || static_cast<size_t>(lifted) > depth) continue; // nodeValue refuses it
        std::string depKey = lifted == 0 ? keyOf(id, t->indices, depth)
                                         : keyOf(chain->second[depth - static_cast<size_t>(lifted)],
                                                 t->indices, depth - static_cast<size_t>(lifted));
        auto it = byKey.find(depKey);
        if (it == byKey.end()) continue;
        Task* d = it->second;
        if (d == t) continue;
        if (d->state == State::Done) continue;
        if (d->state == State::Failed || d->state == State::Skipped) {
          blocked = State::Skipped;
          why = "`" + d->key + "` failed";
          continue;
        }
        if (d->state == State::Unknown) {
          if (blocked == State::Waiting) blocked = State::Unknown;
          why = d->key;
          continue;
        }
        if (std::find(d->dependents.begin(), d->dependents.end(), t) == d->dependents.end()) {
          d->dependents.push_back(t);
          ++t->pendingDeps;
        }
      }
      if (blocked == State::Skipped) {
        t->reason = why;
        t->pendingDeps = -1;
        finish(*t, State::Skipped);
      } else if (blocked == State::Unknown) {
        t->reason = "after " + why + ", which would run";
        t->pendingDeps = -1;
        finish(*t, State::Unknown);
      }
    }
    for (Task* t : made)
      if (t->state == State::Waiting && t->pendingDeps == 0) ready.push_back(t);
  }

  void finish(Task& t, State s) {
    if (t.state == State::Done || t.state == State::Failed || t.state == State::Skipped ||
        t.state == State::Unknown)
      return;
    t.state = s;
    if (s == State::Skipped) {
      ++counts.skipped;
      if (!t.node || (t.kind == "call" || t.kind == "transform"))
        progress.emit({"skipped", t.key, t.stepKey, t.reason, t.node ? t.node->range : "", 0});
      if (t.node && (t.kind == "call" || t.kind == "transform")) recordSkipped(t);
    }
    if (s == State::Unknown && opts.dryRun && (t.kind == "if" || t.kind == "for"))
      recordUndecided(t);
    if (s == State::Unknown && opts.dryRun && (t.kind == "call" || t.kind == "transform")) {
      auto* call = t.node->as<plan::CallNode>();
      decisions.push_back({t.key, call ? call->step : "transform", "run", t.reason, t.node->range});
    }
    for (Task* d : t.dependents) {
      if (d->state != State::Waiting) continue;
      if (s == State::Done) {
        if (--d->pendingDeps == 0) ready.push_back(d);
      } else if (s == State::Unknown) {
        d->reason = "after " + t.key + ", which would run";
        finish(*d, State::Unknown);
      } else {
        d->reason = "`" + t.key + "` did not succeed";
        finish(*d, State::Skipped);
      }
    }
    if (Task* p = t.parent) {
      if (s == State::Failed || s == State::Skipped) p->childFailed = true;
      if (s == State::Unknown) p->childUnknown = true;
      if (--p->openChildren == 0) completeBarrier(*p);
    }
  }

  void completeBarrier(Task& p) {
    if (p.childFailed) {
      if (p.kind == "transform") transformFailed(p);
      p.reason = "a step inside did not succeed";
      finish(p, State::Failed);
      return;
    }
    if (p.childUnknown) {
      p.reason = "steps inside would run";
      finish(p, State::Unknown);
      return;
    }
    if (p.kind == "transform") {
      concatShards(p);
      return;
    }
    finish(p, State::Done);
  }

  // ---- failure
  void failTask(Task& t, const std::string& message) {
    t.reason = message;
    ++counts.failed;
    progress.emit({"failed", t.key, t.stepKey, message, t.node->range, 0});
    if (failMessage.empty()) failMessage = message;
    if (!opts.keepGoing) stopping = true;
    finish(t, State::Failed);
  }

  /// A call that fails before its process starts (a property out of range): recorded as a
  /// failed execution, so `mlpc show` and `mlpc logs` say why.
  void failBeforeStart(Task& t, const std::string& message) {
    if (!opts.dryRun && !runId.empty()) {
      meta::ExecutionRecord rec;
      rec.runId = runId;
      rec.node = t.key;
      rec.step = t.stepKey;
      rec.status = ExecStatus::Failed;
      rec.startedAt = now();
      rec.finishedAt = rec.startedAt;
      rec.source = t.node->range;
      rec.error = message;
      if (auto id = meta.recordExecution(rec, meta::ExecutionIo{})) t.execId = *id;
    }
    failTask(t, message);
  }

  // ---- executing a ready task
  void execute(Task& t) {
    if (stopping) {
      t.reason = interrupted ? "interrupted" : "the run is stopping";
      finish(t, State::Skipped);
      return;
    }
    std::string err;
    const plan::Node& n = *t.node;
    if (auto* val = n.as<plan::ValueNode>()) {
      auto v = eval(val->value, t, err);
      if (!v) return unknownOrFail(t, "cannot compute `" + t.key + "`: " + err);
      t.value = *v;
      finish(t, State::Done);
    } else if (auto* fl = n.as<plan::FailNode>()) {
      auto v = eval(fl->message, t, err);
      std::string msg = v ? displayValue(*v) : "fail (message unavailable: " + err + ")";
      if (opts.dryRun) {
        decisions.push_back({t.key, "fail", "run", "the run would fail: " + msg, n.range});
        finish(t, State::Done);
        return;
      }
      msg += " (" + n.range + ")";
      failMessage = msg;
      stopping = true;
      t.reason = msg;
      progress.emit({"message", t.key, "", "fail: " + msg, n.range, 0});
      finish(t, State::Failed);
    } else if (auto* loop = n.as<plan::ForNode>()) {
      auto v = eval(loop->over, t, err);
      if (!v) return unknownOrFail(t, "cannot compute the list of `for " + loop->var + "`: " + err);
      if (!v->is_array()) return failTask(t, "`for` over a non-list value");
      t.iterations = v->size();
      if (v->empty()) return finish(t, State::Done);
      for (size_t i = 0; i < v->size(); ++i) {
        auto idx = t.indices;
        idx.push_back(i);
        auto vars = t.vars;
        vars[loop->var] = (*v)[i];
        createTasks(loop->body, idx, vars, &t);
      }
    } else if (auto* cond = n.as<plan::IfNode>()) {
      auto v = eval(cond->cond, t, err);
      if (!v) return unknownOrFail(t, "cannot decide the condition at " + n.range + ": " + err);
      if (!v->is_boolean()) return failTask(t, "the condition is not a bool");
      const std::vector<plan::Node>& branch = v->get<bool>() ? cond->then : cond->otherwise;
      if (opts.dryRun) {
        // Known now (its inputs are parameters or cached outputs): say which way it goes; the
        // taken branch's steps are listed as they are planned, the other one's here.
        bool taken = v->get<bool>();
        decisions.push_back({t.key, "if", "decided",
                             "`" + conditionText(*cond) + "` is " + (taken ? "true" : "false") +
                                 ": takes " + (taken ? "then" : "else"),
                             n.range});
        listBranch(taken ? cond->otherwise : cond->then, taken ? "else" : "then", " (not taken)",
                   1);
      }
      progress.emit({"message", t.key, "",
                     std::string("  if at ") + n.range + ": " + (v->get<bool>() ? "then" : "else"),
                     "", 0});
      if (branch.empty()) return finish(t, State::Done);
      createTasks(branch, t.indices, t.vars, &t);
    } else if (n.as<plan::RegisterNode>()) {
      doRegister(t);
    } else if (n.as<plan::CallNode>()) {
      prepareCall(t);
    } else {
      prepareTransform(t);
    }
  }

  void unknownOrFail(Task& t, const std::string& msg) {
    if (opts.dryRun) {
      t.reason = "depends on values known only when the run gets there";
      // Conditions and loops are listed with what they hold when they finish unknown.
      if (t.kind != "call" && t.kind != "transform" && t.kind != "if" && t.kind != "for")
        decisions.push_back({t.key, t.kind, "undecided", t.reason, t.node->range});
      finish(t, State::Unknown);
      return;
    }
    failTask(t, msg);
  }

  // ---- `mlpc plan`: conditions and loops decided at run time, with what they hold
  std::string conditionText(const plan::IfNode& i) {
    if (singleOutput.empty()) singleOutput = plan::singleOutputNodes(plan);
    return plan::sourceText(i.cond, singleOutput);
  }

  /// One line per node of `list` (and of its nested branches and bodies), as what would happen
  /// if the run gets there: nothing here is counted as running or cached.
  void listBranch(const std::vector<plan::Node>& list, const std::string& verdict,
                  const std::string& note, int depth) {
    if (singleOutput.empty()) singleOutput = plan::singleOutputNodes(plan);
    auto text = [&](const plan::ExprP& e) { return plan::sourceText(e, singleOutput); };
    for (auto& n : list) {
      PlanDecision d{n.id, n.kindName(), verdict, "", n.range, depth};
      if (auto* c = n.as<plan::CallNode>()) {
        d.step = c->step;
        d.reason = (verdict == "each" ? "runs for each element" : "runs in this branch") + note;
      } else if (n.as<plan::TransformNode>()) {
        d.step = "transform";
        d.reason = (verdict == "each" ? "batch inference for each element"
                                      : "batch inference in this branch") +
                   note;
      } else if (auto* r = n.as<plan::RegisterNode>()) {
        d.reason = "registers " + text(r->model) + " in " + r->group + note;
      } else if (auto* f = n.as<plan::FailNode>()) {
        d.reason = "fails the run: " + text(f->message) + note;
      } else if (auto* v = n.as<plan::ValueNode>()) {
        d.reason = "= " + text(v->value) + note;
      } else if (auto* i = n.as<plan::IfNode>()) {
        d.reason = "if `" + conditionText(*i) + "`" + note;
      } else if (auto* l = n.as<plan::ForNode>()) {
        d.reason = "for " + l->var + " in " + text(l->over) + note;
      }
      decisions.push_back(d);
      if (auto* i = n.as<plan::IfNode>()) {
        listBranch(i->then, "then", note, depth + 1);
        listBranch(i->otherwise, "else", note, depth + 1);
      } else if (auto* l = n.as<plan::ForNode>()) {
        listBranch(l->body, "each", note, depth + 1);
      }
    }
  }

  /// A condition or loop that cannot be decided before the run: listed with its branches.
  void recordUndecided(const Task& t) {
    // Decided already (its branch or iterations were planned; they are what is unknown).
    if (!t.children.empty()) return;
    if (auto* i = t.node->as<plan::IfNode>()) {
      decisions.push_back({t.key, "if", "undecided",
                           "`" + conditionText(*i) + "` is decided at run time (" +
                               (t.reason.empty() ? "its inputs are not known yet" : t.reason) + ")",
                           t.node->range});
      listBranch(i->then, "then", "", 1);
      listBranch(i->otherwise, "else", "", 1);
    } else if (auto* l = t.node->as<plan::ForNode>()) {
      if (singleOutput.empty()) singleOutput = plan::singleOutputNodes(plan);
      decisions.push_back({t.key, "for", "undecided",
                           "the list `" + plan::sourceText(l->over, singleOutput) +
                               "` is known at run time (" +
                               (t.reason.empty() ? "its inputs are not known yet" : t.reason) +
                               "); each element runs:",
                           t.node->range});
      listBranch(l->body, "each", "", 1);
    }
  }

  // ---- registry
  void doRegister(Task& t) {
    const plan::Node& n = *t.node;
    const plan::RegisterNode& reg = *n.as<plan::RegisterNode>();
    std::string err;
    auto model = eval(reg.model, t, err);
    if (!model || !isArtifact(*model)) return unknownOrFail(t, "cannot register: " + err);
    const std::string& group = reg.group;
    if (!opts.registerVersions && !opts.dryRun) {
      progress.emit({"message", t.key, "",
                     "  (reproduction: model " +
                         (*model)["$artifact"].get<std::string>().substr(0, 12) +
                         " not registered into " + group + ")",
                     n.range, 0});
      return finish(t, State::Done);
    }
    if (opts.dryRun) {
      decisions.push_back(
          {t.key, "register", "run", "would register a new version of " + group, n.range});
      return finish(t, State::Done);
    }
    meta::NewModelVersion nv;
    nv.group = group;
    nv.artifactHash = (*model)["$artifact"].get<std::string>();
    nv.runId = runId;
    if (reg.metrics) {
      auto m = eval(reg.metrics, t, err);
      if (!m) return failTask(t, "cannot read the metrics to register: " + err);
      std::optional<Json> j = *m;
      if (isArtifact(*m)) j = env().readJson(*m, err);
      if (!j) return failTask(t, "cannot read the metrics to register: " + err);
      // A null field is a metric the model does not have (the MSE of a classifier from the
      // stdlib's Evaluate): the version records only the metrics it has, as a run does.
      if (j->is_object())
        for (auto it = j->begin(); it != j->end();)
          it = it->is_null() ? j->erase(it) : std::next(it);
      nv.metricsJson = j->dump();
    }
    Json tags = Json::object();
    for (auto& tag : reg.tags) {
      auto v = eval(tag.value, t, err);
      if (!v) return failTask(t, "cannot compute tag `" + tag.name + "`: " + err);
      tags[tag.name] = displayValue(*v);
    }
    nv.tagsJson = tags.dump();
    const plan::ModelGroup* mg = plan.models.find(group);
    std::string approval = mg ? mg->approval : "manual";
    nv.initialStatus = approval == "auto" ? "Approved" : "PendingManualApproval";
    nv.actor = opts.actor;
    nv.comment = "registered by run " + runId;
    // Re-running an unchanged pipeline must not fill the registry with copies of one model.
    nv.reuseSameArtifact = true;
    auto v = meta.registerVersion(nv);
    if (!v) return failTask(t, "cannot register a version of " + group + ": " + v.error());
    t.value = Json{{"group", group}, {"version", v->version}};
    if (v->reused) {
      progress.emit({"registered", t.key, "",
                     "this model is already " + group + " version " + std::to_string(v->version) +
                         " (" + v->status + "); not registered again",
                     n.range, 0});
      return finish(t, State::Done);
    }
    progress.emit(
        {"registered", t.key, "",
         "registered " + group + " version " + std::to_string(v->version) + " (" + v->status + ")",
         n.range, 0});
    finish(t, State::Done);
  }

  // ---- step calls
  void prepareCall(Task& t) {
    const plan::Node& n = *t.node;
    const plan::CallNode& call = *n.as<plan::CallNode>();
    t.stepKey = call.step;
    const plan::StepDef& def = *plan.steps.find(t.stepKey); // the reader checked the key
    std::string err;
    Json args = Json::object();
    for (auto& a : call.args) {
      auto v = eval(a.value, t, err);
      if (!v)
        return unknownOrFail(t,
                             "cannot compute argument `" + a.name + "` of `" + t.key + "`: " + err);
      args[a.name] = *v;
    }
    // Resources, retry, timeout and cache may read the step's parameters: evaluated per call.
    auto props = evaluateStepProps(def, args, err);
    if (!props)
      return failBeforeStart(t, "step `" + t.key + "` (" + t.stepKey + " called at " + n.range +
                                    "): " + err);
    t.workdir = resolveDir(def.dir);
    Json codeHashes = Json::object();
    for (const std::string& rel : def.code) {
      std::string full = (fs::path(t.workdir) / rel).lexically_normal();
      auto h = hashCache.hashFile(full);
      if (!h) return failTask(t, "code file `" + rel + "` of step " + t.stepKey + ": " + h.error());
      codeHashes[rel] = *h;
      t.code.push_back({rel, *h});
    }
    // canonicalAction's bytes, with the definition's keys made once per run. The ordered copy
    // is only read to explain a decision (`mlpc plan`).
    auto defKeys = actionDefinitions.find(&def);
    if (defKeys == actionDefinitions.end())
      defKeys = actionDefinitions.emplace(&def, definitionKeys(t.stepKey, def)).first;
    nlohmann::json action = withCall(defKeys->second, args, codeHashes);
    t.actionText = action.dump();
    t.cacheKey = store::sha256Bytes(t.actionText);
    if (opts.dryRun) t.action = convert<Json>(action);
    for (auto& [k, v] : args.items()) {
      std::function<void(const Json&, const std::string&)> add = [&](const Json& x,
                                                                     const std::string& name) {
        if (isArtifact(x)) {
          meta::ArtifactRecord rec;
          rec.hash = x["$artifact"].get<std::string>();
          rec.kind = isDirArtifact(x) ? store::ArtifactKind::Dir : store::ArtifactKind::File;
          rec.type = x.value("type", "");
          t.inputs.push_back({name, rec});
        } else if (x.is_array()) {
          for (size_t i = 0; i < x.size(); ++i)
            add(x[i], name + "[" + std::to_string(i) + "]");
        }
      };
      add(v, k);
    }
    t.cpu = props->cpu;
    t.memory = props->memoryBytes;
    t.gpu = props->gpu;
    if (props->gpu > 0 && !opts.clusterResources)
      return failTask(t, "step " + t.stepKey + " asks for " + std::to_string(props->gpu) +
                             " GPU(s); this machine has none (" + n.range + ")");
    if (!opts.clusterResources && opts.memoryBytes > 0 && t.memory > opts.memoryBytes)
      return failTask(t, "step " + t.stepKey + " asks for more memory than this machine has (" +
                             n.range + ")");
    t.maxAttempts = props->attempts;
    t.backoff = props->backoffSeconds;
    t.timeout = props->timeoutSeconds;
    t.expire = props->expireSeconds;

    bool cacheable = !opts.noCache && props->cacheEnabled;
    if (cacheable) {
      meta::CacheQuery q;
      q.cacheKey = t.cacheKey;
      if (t.expire) q.maxAgeSeconds = *t.expire;
      q.outputExists = outputStored();
      auto hit = meta.lookupCache(q);
      if (!hit) return failTask(t, hit.error());
      if (*hit) return useCached(t, def, args, **hit);
    }
    if (opts.dryRun) {
      t.reason = explain(t, cacheable);
      finish(t, State::Unknown);
      return;
    }
    // Outputs go to a scratch directory of this execution; the command is run from the
    // declaring file's directory so relative paths in `run` and `code` agree.
    t.scratch = (fs::path(store.workspace()) / "runs" / runId / sanitize(t.key)).string();
    std::error_code ec;
    if (::mkdir(t.scratch.c_str(), 0755) != 0 && errno != EEXIST) {
      ec.assign(errno, std::generic_category());
      return failTask(t, "cannot create " + t.scratch + ": " + ec.message());
    }
    for (auto& o : def.outputs)
      t.outPaths[o.name] = (fs::path(t.scratch) / outputFileName(o.name, o.type)).string();
    TemplateValues tv;
    tv.args = &args;
    tv.outputs = &t.outPaths;
    tv.artifactPath = [this](const Json& a) {
      auto p = store.path(a["$artifact"].get<std::string>(),
                          isDirArtifact(a) ? store::ArtifactKind::Dir : store::ArtifactKind::File);
      return p ? *p : std::string("/nonexistent");
    };
    if (!renderTemplate(def.run, tv, true, t.command, err))
      return failTask(t, "cannot build the command of " + t.stepKey + ": " + err);
    if (!buildEnv(t, def, tv, err))
      return failBeforeStart(t, "step `" + t.key + "` (" + t.stepKey + " called at " + n.range +
                                    "): " + err);
    t.stdoutPath = t.scratch + ".stdout.log";
    t.stderrPath = t.scratch + ".stderr.log";
    meta::ExecutionRecord rec;
    rec.runId = runId;
    rec.node = t.key;
    rec.step = t.stepKey;
    rec.cacheKey = t.cacheKey;
    rec.status = ExecStatus::Running;
    rec.stdoutPath = t.stdoutPath;
    rec.stderrPath = t.stderrPath;
    rec.source = n.range;
    rec.command = t.command;
    rec.image = def.image ? def.image->literalString().value_or("") : "";
    rec.paramsJson = t.actionText.empty() ? t.action.dump() : t.actionText;
    auto id = meta.startExecution(rec, t.inputs, t.code);
    if (!id) return failTask(t, id.error());
    t.execId = *id;
    enqueue(&t);
  }

  /// The process environment of `t`: ours, the definition's `env`, the MLP_* variables. False
  /// (with `error`) when an `env` value cannot be computed.
  bool buildEnv(Task& t, const plan::StepDef& def, const TemplateValues& tv, std::string& error) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    std::string err;
    for (auto& e : def.env) {
      std::string v;
      if (!renderTemplate(e.value, tv, false, v, err)) {
        error = "cannot compute `env." + e.name + "` (" + def.range + "): " + err;
        return false;
      }
      env[e.name] = v;
    }
    env["MLP_RUN_ID"] = runId;
    env["MLP_NODE"] = t.key;
    env["MLP_STEP"] = t.stepKey;
    env["MLP_WORKSPACE"] = store.workspace();
    env["MLP_OUTPUT_DIR"] = t.scratch;
    env["MLP_ATTEMPT"] = std::to_string(t.attempt + 1);
    // Keep the stdlib directory clean: it may be installed read-only.
    env["PYTHONDONTWRITEBYTECODE"] = "1";
    t.env.assign(env.begin(), env.end());
    return true;
  }

  std::string explain(Task& t, bool cacheable) {
    if (!cacheable) return opts.noCache ? "--no-cache" : "the step sets cache = false";
    auto prev = previousActions.find(t.key);
    if (prev == previousActions.end()) return "never ran before";
    const Json& a = prev->second;
    const Json& b = t.action;
    std::vector<std::string> why;
    for (auto& [k, v] : b["args"].items())
      if (!a["args"].contains(k) || a["args"][k] != v)
        why.push_back("input `" + k + "` changed" +
                      (v.is_object() && v.contains("sha256")
                           ? " (now " + v["sha256"].get<std::string>().substr(0, 12) + ")"
                           : " (now " + v.dump() + ")"));
    for (auto& [k, v] : b["code"].items())
      if (!a["code"].contains(k) || a["code"][k] != v)
        why.push_back("code file `" + k + "` changed");
    for (const char* k : {"run", "image", "env", "outputs", "step", "mlpc"})
      if (a[k] != b[k]) why.push_back(std::string("`") + k + "` changed");
    if (why.empty()) {
      if (t.expire)
        return "its cached result expired (older than cache = " +
               plan::commandText(Json(*t.expire), "float") + "s)";
      return "its earlier outputs are no longer in the store";
    }
    std::string s;
    for (auto& w : why)
      s += (s.empty() ? "" : "; ") + w;
    return s;
  }

  void useCached(Task& t, const plan::StepDef& def, const Json& args, const meta::CacheHit& hit) {
    Json outputs = Json::object();
    std::vector<meta::Metric> metrics;
    for (auto& b : hit.outputs) {
      const plan::StepOutput* o = def.output(b.name);
      std::string type = o ? o->type : "";
      outputs[b.name] = artifactValue(
          b.artifact.hash, b.artifact.kind == store::ArtifactKind::Dir ? "dir" : "file", type);
      if (type.rfind("Metrics", 0) == 0) readMetrics(b.artifact.hash, metrics);
    }
    t.value = def.outputs.size() == 1 ? outputs.begin().value() : Json{{"$record", outputs}};
    if (opts.dryRun) {
      decisions.push_back(
          {t.key, t.stepKey, "cached", "unchanged since run " + hit.runId, t.node->range});
    } else {
      meta::ExecutionRecord rec;
      rec.runId = runId;
      rec.node = t.key;
      rec.step = t.stepKey;
      rec.cacheKey = t.cacheKey;
      rec.status = ExecStatus::Cached;
      rec.exitCode = 0;
      rec.attempts = 0;
      rec.startedAt = now();
      rec.finishedAt = rec.startedAt;
      rec.source = t.node->range;
      rec.cachedFrom = hit.executionId; // a lookup finds only executions that ran
      // Everything else a hit has is the reused execution's: its logs, command, image and action
      // (the cache key is the action's hash), and its inputs, outputs and code. Readers follow
      // `cached_from` to them (schema version 9), so none of it is copied into this row.
      meta::ExecutionIo io;
      io.metrics = std::move(metrics);
      // Batched (see batchedRecords), which keeps a fully cached re-run fast.
      batchedRecords.emplace_back(std::move(rec), std::move(io));
      if (batchedRecords.size() >= 5000) flushBatched();
      ++counts.cached;
      progress.emit({"cached", t.key, t.stepKey, "", t.node->range, 0});
    }
    (void)args;
    finish(t, State::Done);
  }

  /// A step that never started still belongs to the run's record, so `mlpc show` lists it
  /// (with why) and `mlpc logs` can say it was skipped. Batched like cache hits.
  void recordSkipped(const Task& t) {
    // A step stopped after it started (Ctrl-C) already has its execution, marked cancelled.
    if (opts.dryRun || runId.empty() || t.execId) return;
    meta::ExecutionRecord rec;
    rec.runId = runId;
    rec.node = t.key;
    const plan::CallNode* call = t.node->as<plan::CallNode>();
    rec.step = !t.stepKey.empty() ? t.stepKey : call ? call->step : t.kind;
    rec.status = ExecStatus::Skipped;
    rec.startedAt = now();
    rec.finishedAt = rec.startedAt;
    rec.source = t.node->range;
    rec.error = t.reason.empty() ? "skipped" : t.reason;
    batchedRecords.emplace_back(rec, meta::ExecutionIo{});
  }

  void readMetrics(const std::string& hash, std::vector<meta::Metric>& out) {
    std::string err;
    auto j = env().readJson(artifactValue(hash, "file", "Metrics"), err);
    if (!j || !j->is_object()) return;
    appendMetrics(*j, out);
  }

  /// A Metrics document's numbers as metric rows, nested records joined with '.'
  /// (`regression.mse.value`), so that `runs --sort` and `compare` reach nested metrics.
  static void appendMetrics(const Json& j, std::vector<meta::Metric>& out) {
    if (auto rows = meta::numericMetrics(j.dump()))
      out.insert(out.end(), rows->begin(), rows->end());
  }

  // ---- launching and completing processes
  bool canLaunch(const Task& t) const {
    if (running.size() >= static_cast<size_t>(std::max(1, opts.jobs))) return false;
    if (running.empty()) return true;       // a step larger than the machine still runs, alone
    if (opts.clusterResources) return true; // the cluster's scheduler fits jobs to its nodes
    if (usedCpu + t.cpu > std::max(opts.cpus, 1.0) + 1e-9) return false;
    if (opts.memoryBytes > 0 && usedMemory + t.memory > opts.memoryBytes) return false;
    return true;
  }

  void launchReady() {
    double tnow = now();
    const size_t slots = static_cast<size_t>(std::max(1, opts.jobs));
    for (size_t i = 0; i < waitingToLaunch.size();) {
      Task* t = waitingToLaunch[i];
      if (stopping) {
        leaveQueue(i);
        cancelQueued(*t);
        continue;
      }
      // No step can start while every slot is taken: stop here rather than look at each of
      // the (possibly thousands of) waiting steps every time a process ends.
      if (running.size() >= slots) break;
      if (t->notBefore > tnow || !canLaunch(*t)) {
        ++i;
        continue;
      }
      leaveQueue(i);
      exec::CommandSpec spec;
      spec.id = nextCmd++;
      spec.command = t->command;
      spec.workdir = t->workdir;
      spec.env = t->env;
      // Each try sees its own attempt number.
      for (auto& [k, v] : spec.env)
        if (k == "MLP_ATTEMPT") v = std::to_string(t->attempt + 1);
      spec.stdoutPath = t->stdoutPath;
      spec.stderrPath = t->stderrPath;
      spec.timeoutSeconds = t->timeout;
      spec.name = t->key;
      spec.cpus = t->cpu;
      spec.memoryBytes = t->memory;
      spec.gpus = t->gpu;
      std::string err;
      if (!runner.start(spec, err)) {
        failTask(*t, "cannot start " + t->key + ": " + err);
        continue;
      }
      if (t->attempt == 0) t->launchedAt = tnow;
      ++t->attempt;
      t->state = State::Running;
      t->started = Clock::now();
      running[spec.id] = t;
      usedCpu += t->cpu;
      usedMemory += t->memory;
      if (t->attempt == 1) progress.emit({"started", t->key, t->stepKey, "", "", 0});
    }
  }

  void enqueue(Task* t) {
    if (t->notBefore > 0) ++retriesWaiting;
    waitingToLaunch.push_back(t);
  }

  /// Takes the i-th step out of waitingToLaunch.
  void leaveQueue(size_t i) {
    if (waitingToLaunch[i]->notBefore > 0) --retriesWaiting;
    waitingToLaunch.erase(waitingToLaunch.begin() + static_cast<long>(i));
  }

  void cancelQueued(Task& t) {
    if (t.execId) {
      meta::ExecutionFinish f;
      f.id = t.execId;
      if (t.launchedAt > 0) f.launchedAt = t.launchedAt;
      f.status = ExecStatus::Cancelled;
      f.attempts = t.attempt;
      f.error = interrupted ? "interrupted" : "the run stopped";
      (void)meta.finishExecution(f);
    }
    t.state = State::Waiting;
    t.reason = interrupted ? "interrupted" : "the run stopped";
    finish(t, State::Skipped);
  }

  void completed(const exec::CommandResult& r) {
    auto it = running.find(r.id);
    if (it == running.end()) return;
    Task& t = *it->second;
    running.erase(it);
    usedCpu -= t.cpu;
    usedMemory -= t.memory;
    double secs = std::chrono::duration<double>(Clock::now() - t.started).count();
    if (t.kind == "shard") return shardDone(t, r, secs);
    const plan::StepDef& def = *plan.steps.find(t.stepKey);
    std::string where = t.node->range;
    if (r.succeeded()) {
      // Fill the slot this process left before storing its outputs: storing makes each one
      // durable (fsyncs that wait for the disk), and a step that was already waiting can run
      // meanwhile. Only after a success: a process that failed stops the run first. (If this
      // step's outputs then fail their check, the step started here runs to its end, as any
      // step still running when a run stops does.)
      launchReady();
      Finishing done;
      done.task = &t;
      done.result = r;
      done.secs = secs;
      std::vector<store::StagedPut> puts;
      Json outputs = Json::object();
      for (auto& o : def.outputs) {
        const std::string& name = o.name;
        std::string problem = checkOutput(t.outPaths[name], o);
        if (!problem.empty())
          return stepFailed(t, r, "step `" + t.key + "` (" + where + "): " + problem,
                            ExecStatus::Failed);
        if (o.isMetrics()) {
          std::string err;
          if (auto j = readJsonFile(t.outPaths[name], err); j && j->is_object())
            appendMetrics(*j, done.finish.metrics);
        }
        // Staged only: the outputs staged so far go back to out/ if a later one fails here.
        auto a = store.stage(t.outPaths[name], true);
        if (!a) return stepFailed(t, r, cannotStore(t, name, a.error()), ExecStatus::Failed);
        meta::ArtifactRecord rec;
        rec.hash = a->artifact().hash;
        rec.kind = a->artifact().kind;
        rec.size = a->artifact().size;
        rec.type = o.type;
        done.finish.outputs.push_back({name, rec});
        outputs[name] = artifactValue(
            rec.hash, rec.kind == store::ArtifactKind::Dir ? "dir" : "file", rec.type);
        puts.push_back(std::move(*a));
      }
      done.finish.id = t.execId;
      if (t.launchedAt > 0) done.finish.launchedAt = t.launchedAt;
      done.finish.status = ExecStatus::Succeeded;
      done.finish.exitCode = 0;
      done.finish.attempts = t.attempt;
      done.value = def.outputs.size() == 1 ? outputs.begin().value() : Json{{"$record", outputs}};
      OutputSyncer::Job job{nextJob++, std::move(puts), {}, 0};
      bool waitsForDisk =
          std::any_of(job.puts.begin(), job.puts.end(), [](auto& p) { return !p.done(); });
      if (waitsForDisk && startSyncer()) {
        // The scheduler goes on reaping and starting processes while the disk catches up.
        finishing.emplace(job.token, std::move(done));
        syncer->submit(std::move(job));
        return;
      }
      OutputSyncer::finishJob(store, job);
      return settle(done, job);
    }
    std::string how = r.timedOut
                          ? "timed out after " + plan::commandText(Json(t.timeout), "float") + "s"
                      : r.cancelled       ? "was cancelled"
                      : !r.error.empty()  ? "could not start: " + r.error
                      : !r.ending.empty() ? r.ending
                      : r.termSignal      ? "was killed by signal " + std::to_string(r.termSignal)
                                          : "exited with code " + std::to_string(r.exitCode);
    if (!r.cancelled && !interrupted && t.attempt < t.maxAttempts) {
      double wait = t.backoff * std::pow(2.0, t.attempt - 1);
      progress.emit({"retrying", t.key, t.stepKey,
                     how + "; attempt " + std::to_string(t.attempt + 1) + " of " +
                         std::to_string(t.maxAttempts) + " in " +
                         plan::commandText(Json(wait), "float") + "s",
                     where, 0});
      t.notBefore = now() + wait;
      t.state = State::Waiting;
      enqueue(&t);
      return;
    }
    processFailed(t, r, "step `" + t.key + "` (" + t.stepKey + " at " + where + ") " + how);
  }

  static std::string cannotStore(const Task& t, const std::string& output,
                                 const std::string& error) {
    return "cannot store output `" + output + "` of `" + t.key + "`: " + error;
  }

  /// A step whose outputs were finished (`job`): if all were stored its execution succeeded and
  /// what reads it can start, otherwise it failed naming the output that was not.
  void settle(Finishing& done, const OutputSyncer::Job& job) {
    Task& t = *done.task;
    if (!job.error.empty()) {
      const std::string& output = done.finish.outputs[job.failed].name;
      return stepFailed(t, done.result, cannotStore(t, output, job.error), ExecStatus::Failed);
    }
    if (auto s = meta.finishExecution(done.finish); !s) return failTask(t, s.error());
    t.value = std::move(done.value);
    ++counts.ran;
    progress.emit({"succeeded", t.key, t.stepKey, "", t.node->range, done.secs});
    finish(t, State::Done);
  }

  /// Records the steps whose outputs the syncer has stored since last asked (in the order their
  /// processes ended); with `wait`, first waits for at least one when any is outstanding.
  void settleStored(bool wait) {
    if (!syncer) return;
    for (OutputSyncer::Job& job : wait ? syncer->waitTake() : syncer->take()) {
      auto it = finishing.find(job.token);
      if (it == finishing.end()) continue; // every job submitted has its entry; never taken twice
      Finishing done = std::move(it->second);
      finishing.erase(it);
      settle(done, job);
    }
  }

  /// A step's or a shard's process that ended badly: `msg` with the tail of its stderr and the
  /// `mlpc logs` command that shows the rest, recorded with the status the ending implies.
  void processFailed(Task& t, const exec::CommandResult& r, std::string msg) {
    if (!r.cancelled) {
      std::string errTail = tail(t.stderrPath, 6);
      if (!errTail.empty()) msg += "\n  last lines of stderr:\n" + errTail;
      msg += "  full logs: mlpc logs " + runId + " " + t.key;
    }
    stepFailed(t, r, msg,
               r.timedOut    ? ExecStatus::TimedOut
               : r.cancelled ? ExecStatus::Cancelled
                             : ExecStatus::Failed);
  }

  void stepFailed(Task& t, const exec::CommandResult& r, const std::string& msg, ExecStatus st) {
    meta::ExecutionFinish f;
    f.id = t.execId;
    if (t.launchedAt > 0) f.launchedAt = t.launchedAt;
    f.status = st;
    f.exitCode = r.exitCode;
    f.attempts = t.attempt;
    f.error = msg;
    (void)meta.finishExecution(f);
    if (st == ExecStatus::Cancelled) {
      t.reason = "interrupted";
      t.state = State::Waiting;
      finish(t, State::Skipped);
      return;
    }
    failTask(t, msg);
  }

  // ---- transform: shards of batch inference, each against its own server process
  //
  // A transform is a step like any other: it is cached under a key over the model, the data, the
  // shard count, the options, the server's definition and code and the shard driver's code; its
  // execution records the model and the data as inputs and that code, so lineage finds it
  // downstream of the model; and each shard is an execution of its own (`NODE#shardI`), with
  // its times, status, logs and error, which `show` lists and `logs` prints.
  void prepareTransform(Task& t) {
    const plan::Node& n = *t.node;
    const plan::TransformNode& tn = *n.as<plan::TransformNode>();
    std::string err;
    auto model = eval(tn.model, t, err);
    auto data = model ? eval(tn.data, t, err) : std::nullopt;
    auto shards = data ? eval(tn.shards, t, err) : std::nullopt;
    std::optional<Json> join = Json(false);
    if (shards && tn.joinSource) join = eval(tn.joinSource, t, err);
    if (!join) return unknownOrFail(t, "cannot compute transform's inputs: " + err);
    if (!join->is_boolean()) return failTask(t, "`join_source` of `" + t.key + "` is not a bool");
    const std::string& serverKey = tn.server;
    const plan::StepDef& server = *plan.servers.find(serverKey); // the reader checked the key
    t.stepKey = "transform";
    std::string shardScript;
    for (auto& root : opts.stdlibDirs)
      if (fs::exists(fs::path(root) / "std/sklearn/transform_shard.py"))
        shardScript = (fs::path(root) / "std/sklearn/transform_shard.py").string();
    if (shardScript.empty())
      return failTask(t, "std/sklearn/transform_shard.py not found in the stdlib");
    t.workdir = resolveDir(server.dir);
    Json codeHashes = Json::object();
    for (const std::string& rel : server.code) {
      auto h = hashCache.hashFile((fs::path(t.workdir) / rel).lexically_normal());
      if (!h)
        return failTask(t, "code file `" + rel + "` of server " + serverKey + ": " + h.error());
      codeHashes[rel] = *h;
      t.code.push_back({rel, *h});
    }
    {
      auto h = hashCache.hashFile(shardScript);
      if (!h) return failTask(t, "the transform driver " + shardScript + ": " + h.error());
      codeHashes[kShardDriver] = *h;
      t.code.push_back({kShardDriver, *h});
    }
    long long requested = shards->is_number_integer() ? shards->get<long long>() : 0;
    if (requested < 1)
      return failTask(t, "`shards` of `" + t.key + "` must be at least 1, found " +
                             displayValue(*shards) + " (" + n.range + ")");
    Json args{{"model", *model},        {"data", *data},       {"shards", requested},
              {"join_source", *join},   {"format", tn.format}, {"health", server.health},
              {"invoke", server.invoke}};
    t.action = canonicalAction("transform " + serverKey, server, args, codeHashes);
    t.cacheKey = store::sha256Bytes(t.action.dump());
    for (const char* name : {"model", "data"}) {
      const Json& x = args[name];
      if (!isArtifact(x)) continue;
      meta::ArtifactRecord rec;
      rec.hash = x["$artifact"].get<std::string>();
      rec.kind = isDirArtifact(x) ? store::ArtifactKind::Dir : store::ArtifactKind::File;
      rec.type = x.value("type", "");
      t.inputs.push_back({name, rec});
    }
    const std::string outType = "Dataset<" + tn.format + ">";
    if (!opts.noCache) {
      meta::CacheQuery q;
      q.cacheKey = t.cacheKey;
      q.outputExists = outputStored();
      auto hit = meta.lookupCache(q);
      if (!hit) return failTask(t, hit.error());
      if (*hit) {
        plan::StepDef asStep = server;
        asStep.outputs = {{"predictions", outType, std::nullopt}};
        useCached(t, asStep, args, **hit);
        t.value = Json{{"$record", {{"predictions", t.value}}}};
        return;
      }
    }
    if (opts.dryRun) {
      t.reason = explain(t, !opts.noCache);
      finish(t, State::Unknown);
      return;
    }
    // The server's own properties, for its one parameter (the model): validated like a step's.
    auto serverProps = evaluateStepProps(server, Json{{"model", *model}}, err);
    if (!serverProps)
      return failBeforeStart(t, "server " + serverKey + " of `" + t.key + "` (called at " +
                                    n.range + "): " + err);
    t.scratch = (fs::path(store.workspace()) / "runs" / runId / sanitize(t.key)).string();
    std::error_code ec;
    fs::create_directories(t.scratch, ec);
    auto dataPath = store.path((*data)["$artifact"].get<std::string>(), store::ArtifactKind::File);
    auto modelPath =
        store.path((*model)["$artifact"].get<std::string>(), store::ArtifactKind::File);
    if (!dataPath || !modelPath) return failTask(t, "transform inputs are missing from the store");
    // Split the rows into shards: CSV with the header in each, JSON Lines as they are.
    bool csv = tn.format == "csv";
    std::ifstream in(*dataPath);
    std::string header, line;
    if (csv) std::getline(in, header);
    std::vector<std::string> rows;
    while (std::getline(in, line))
      if (!line.empty()) rows.push_back(line);
    long long n_shards = std::min<long long>(requested, std::max<size_t>(1, rows.size()));
    meta::ExecutionRecord rec;
    rec.runId = runId;
    rec.node = t.key;
    rec.step = "transform";
    rec.cacheKey = t.cacheKey;
    rec.status = ExecStatus::Running;
    rec.source = n.range;
    rec.command = "transform (" + std::to_string(n_shards) + " shard" + (n_shards == 1 ? "" : "s") +
                  " through " + serverKey + (join->get<bool>() ? ", join_source" : "") + ")";
    rec.image = server.image ? server.image->literalString().value_or("") : "";
    rec.paramsJson = t.actionText.empty() ? t.action.dump() : t.actionText;
    auto id = meta.startExecution(rec, t.inputs, t.code);
    if (!id) return failTask(t, id.error());
    t.execId = *id;
    std::string serverDir = t.workdir;
    for (long long s = 0; s < n_shards; ++s) {
      std::string base = t.scratch + "/shard-" + std::to_string(s);
      std::string shardIn = base + (csv ? ".csv" : ".jsonl");
      std::ofstream out(shardIn);
      if (csv) out << header << "\n";
      // Contiguous slices, so concatenating the shards' predictions keeps the input's row order.
      size_t from = rows.size() * static_cast<size_t>(s) / static_cast<size_t>(n_shards);
      size_t to = rows.size() * static_cast<size_t>(s + 1) / static_cast<size_t>(n_shards);
      for (size_t i = from; i < to; ++i)
        out << rows[i] << "\n";
      auto st = std::make_unique<Task>();
      st->kind = "shard";
      st->node = t.node;
      st->nodeId = t.nodeId;
      st->key = t.key + "#shard" + std::to_string(s);
      st->stepKey = "transform";
      st->parent = &t;
      st->workdir = serverDir;
      st->cpu = serverProps->cpu;
      st->memory = serverProps->memoryBytes;
      st->scratch = t.scratch;
      st->stdoutPath = base + ".stdout.log";
      st->stderrPath = base + ".stderr.log";
      st->outPaths["predictions"] = base + ".out" + (csv ? ".csv" : ".jsonl");
      int port = freePort();
      Json serverArgs{{"model", *model}};
      TemplateValues tv;
      tv.args = &serverArgs;
      std::map<std::string, std::string> none;
      tv.outputs = &none;
      tv.port = port;
      tv.artifactPath = [&](const Json&) { return *modelPath; };
      std::string serverCmd;
      if (!renderTemplate(server.run, tv, true, serverCmd, err))
        return failTask(t, "cannot build the server command: " + err);
      st->command = "/usr/bin/python3 " + exec::shellQuote(shardScript) + " --server-cmd " +
                    exec::shellQuote(serverCmd) + " --port " + std::to_string(port) + " --health " +
                    exec::shellQuote(server.health.is_string() ? server.health.get<std::string>()
                                                               : "/health") +
                    " --invoke " +
                    exec::shellQuote(server.invoke.is_string() ? server.invoke.get<std::string>()
                                                               : "/invocations") +
                    " --format " + tn.format + (join->get<bool>() ? " --join-source" : "") +
                    " --data " + exec::shellQuote(shardIn) + " --out " +
                    exec::shellQuote(st->outPaths["predictions"]);
      if (!buildEnv(*st, server, tv, err))
        return failTask(t, "server " + serverKey + " of `" + t.key + "`: " + err);
      meta::ExecutionRecord sr;
      sr.runId = runId;
      sr.node = st->key;
      sr.step = "transform shard";
      sr.status = ExecStatus::Running;
      sr.stdoutPath = st->stdoutPath;
      sr.stderrPath = st->stderrPath;
      sr.source = n.range;
      sr.command = st->command;
      auto sid = meta.startExecution(sr, {}, {});
      if (!sid) return failTask(t, sid.error());
      st->execId = *sid;
      st->state = State::Waiting;
      t.children.push_back(st.get());
      ++t.openChildren;
      byKey[st->key] = st.get();
      enqueue(st.get());
      tasks.push_back(std::move(st));
    }
    progress.emit({"started", t.key, "transform", std::to_string(n_shards) + " shards", "", 0});
  }

  void shardDone(Task& s, const exec::CommandResult& r, double secs) {
    (void)secs;
    if (r.succeeded()) {
      meta::ExecutionFinish f;
      f.id = s.execId;
      if (s.launchedAt > 0) f.launchedAt = s.launchedAt;
      f.status = ExecStatus::Succeeded;
      f.exitCode = 0;
      f.attempts = s.attempt;
      (void)meta.finishExecution(f);
      return finish(s, State::Done);
    }
    std::string how = r.timedOut          ? "timed out"
                      : r.cancelled       ? "was interrupted"
                      : !r.ending.empty() ? "failed: " + r.ending
                                          : "failed (exit " + std::to_string(r.exitCode) + ")";
    processFailed(s, r, "transform shard `" + s.key + "` (at " + s.node->range + ") " + how);
  }

  /// A transform whose shards did not all succeed: its own execution says which.
  void transformFailed(Task& t) {
    if (!t.execId) return;
    std::string which;
    for (Task* s : t.children)
      if (s->state != State::Done) which += (which.empty() ? "" : ", ") + s->key;
    meta::ExecutionFinish f;
    f.id = t.execId;
    f.status = ExecStatus::Failed;
    f.attempts = 1;
    f.error = "shard(s) did not succeed: " + which;
    (void)meta.finishExecution(f);
  }

  void concatShards(Task& t) {
    const plan::TransformNode& tn = *t.node->as<plan::TransformNode>();
    // Copying every shard's predictions and making the copy durable can take seconds: commit
    // what the pass recorded so far and let the write lock go meanwhile.
    bool batched = batchOpen;
    endBatch();
    bool csv = tn.format == "csv";
    std::string out = t.scratch + "/predictions." + tn.format;
    std::ofstream o(out);
    bool first = true;
    for (Task* s : t.children) {
      std::ifstream in(s->outPaths["predictions"]);
      std::string line;
      bool head = csv;
      while (std::getline(in, line)) {
        if (head && !first) {
          head = false;
          continue;
        }
        head = false;
        o << line << "\n";
      }
      first = false;
    }
    o.close();
    const std::string outType = "Dataset<" + tn.format + ">";
    auto a = store.put(out, true);
    if (batched) beginBatch();
    meta::ExecutionFinish f;
    f.id = t.execId;
    f.attempts = 1;
    if (!a) {
      f.status = ExecStatus::Failed;
      f.error = "cannot store the predictions: " + a.error();
      (void)meta.finishExecution(f);
      return failTask(t, f.error);
    }
    meta::ArtifactRecord rec;
    rec.hash = a->hash;
    rec.kind = a->kind;
    rec.size = a->size;
    rec.type = outType;
    f.status = ExecStatus::Succeeded;
    f.exitCode = 0;
    f.outputs.push_back({"predictions", rec});
    (void)meta.finishExecution(f);
    t.value = Json{{"$record", {{"predictions", artifactValue(a->hash, "file", outType)}}}};
    ++counts.ran;
    progress.emit({"succeeded", t.key, "transform", "", t.node->range, 0});
    finish(t, State::Done);
  }

  // ---- the loop
  RunSummary run() {
    RunSummary sum;
    indexNodes(plan.nodes, {});
    for (auto& p : plan.pipeline.params)
      params[p.name] = p.value;
    std::string err;
    const std::string& pipeline = plan.pipeline.name;
    if (opts.dryRun) loadPreviousActions(pipeline);
    if (!opts.dryRun) {
      // Before anything is stored: artifact parameters are stored and recorded next.
      auto lock = store::WorkspaceLock::shared(store.workspace());
      if (!lock) {
        sum.message = "cannot lock the workspace: " + lock.error();
        sum.exitCode = 2;
        return sum;
      }
      writerLock.emplace(std::move(*lock));
    }
    if (!resolveArtifactParams(err)) {
      sum.message = err;
      sum.exitCode = 2;
      return sum;
    }
    if (!opts.dryRun) {
      (void)meta.markStaleRunsInterrupted();
      meta::NewRun nr;
      nr.pipeline = pipeline;
      nr.entry = opts.entry;
      const std::string planText = plan::dump(plan);
      nr.planHash = store::sha256Bytes(planText);
      Json pj = Json::object();
      for (auto& [k, v] : params.items()) {
        pj[k] = v;
        nr.params.push_back({k, v.dump()});
      }
      nr.paramsJson = pj.dump();
      nr.reproductionOf = opts.reproductionOf;
      auto r = meta.createRun(nr);
      if (!r) {
        sum.message = r.error();
        sum.exitCode = 2;
        return sum;
      }
      runId = r->id;
      sum.runId = runId;
      progress.emit({"run_started", "", "", "run " + runId + " of pipeline " + pipeline, "", 0});
      // The plan that ran, next to its logs, so `mlpc reproduce` can run it again.
      std::error_code ec;
      fs::create_directories(fs::path(store.workspace()) / "runs" / runId, ec);
      std::ofstream(fs::path(store.workspace()) / "runs" / runId / "plan.json") << planText;
      // Where the plan's relative paths (code files, data) were resolved from.
      std::ofstream(fs::path(store.workspace()) / "runs" / runId / "run.json")
          << Json{{"base_dir", opts.baseDir}, {"entry", opts.entry}}.dump(2) << "\n";
      // The bytes of every code file, for `mlpc reproduce` (sched/code_snapshot.h).
      if (auto kept =
              keepRunCode(plan, runId, opts.baseDir, opts.stdlibDirs, store, meta, hashCache);
          !kept) {
        failMessage = kept.error();
        return finishRun(sum);
      }
    }
    if (!hashData(err)) {
      failMessage = err;
      return finishRun(sum);
    }
    if (planMayRepeat(plan, opts) && repeatEarlierRun()) return finishRun(sum);
    createTasks(plan.nodes, {}, {}, nullptr);
    while (true) {
      // What one pass records (the steps whose outputs are now stored, and the steps that made
      // ready) commits as one transaction, before any of those steps starts: their rows share
      // pages, which then go to the WAL once (docs/speed.md).
      beginBatch();
      settleStored(false);
      // The steps made ready together look up the cache from one snapshot (a fully cached
      // re-run is one such stretch); it is let go before waiting for anything.
      holdLookups(true);
      while (!ready.empty()) {
        Task* t = ready.front();
        ready.pop_front();
        if (t->state == State::Waiting) execute(*t);
      }
      holdLookups(false);
      endBatch();
      launchReady();
      if (running.empty() && ready.empty()) {
        if (syncer && syncer->pending() > 0) {
          progress.flush();
          settleStored(true);
          continue;
        }
        if (waitingToLaunch.empty()) break;
        double due = 1e300;
        for (Task* t : waitingToLaunch)
          due = std::min(due, t->notBefore);
        double wait = due - now();
        progress.flush();
        if (wait > 0)
          std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.5)));
        if (exec::interruptRequested()) onInterrupt();
        continue;
      }
      std::optional<double> maxWait;
      if (retriesWaiting > 0)
        for (Task* t : waitingToLaunch)
          if (t->notBefore > 0)
            maxWait = std::max(0.01, std::min(maxWait.value_or(1e9), t->notBefore - now()));
      progress.flush();
      auto r = runner.waitAny(maxWait);
      if (r)
        completed(*r);
      else if (exec::interruptRequested())
        onInterrupt();
    }
    // Whatever never became ready (its inputs failed, or the run stopped) counts as skipped.
    for (auto& t : tasks)
      if (t->state == State::Waiting) {
        t->reason = interrupted ? "interrupted" : "not reached";
        finish(*t, State::Skipped);
      }
    return finishRun(sum);
  }

  /// Records this run as a repeat of the run before it when the metadata shows that looking
  /// each step up would find every step cached, as that run did (meta::repeatLastRun); false,
  /// with nothing recorded, when it cannot, and the run goes on step by step.
  bool repeatEarlierRun() {
    meta::RepeatQuery q;
    q.runId = runId;
    q.mlpcVersion = ::mlpc::kVersion;
    q.outputExists = outputStored();
    // Every run's inputs.json is written the same way (hashData): equal bytes, equal data.
    q.sameInputs = [this](const std::string& earlier) {
      std::ifstream in(fs::path(store.workspace()) / "runs" / earlier / "inputs.json",
                       std::ios::binary);
      return in && std::string(std::istreambuf_iterator<char>(in), {}) == inputsText;
    };
    auto repeated = meta.repeatLastRun(q);
    if (!repeated || !*repeated) return false; // an error here is met again, and told, below
    for (const meta::RepeatedExecution& e : (*repeated)->executions)
      progress.emit({"cached", e.node, e.step, "", e.source, 0});
    counts.cached += static_cast<int64_t>((*repeated)->executions.size());
    return true;
  }

  /// Whether the syncer runs, starting it on first use (a run that stores nothing, a fully
  /// cached one, starts no thread).
  bool startSyncer() {
    if (!syncerTried) {
      syncerTried = true;
      try {
        auto s = std::make_unique<OutputSyncer>(store);
        if (runner.watchWakeFd(s->wakeFd())) syncer = std::move(s);
      } catch (const std::system_error&) {
        // No eventfd or thread: outputs are stored on this thread, as with any other runner.
      }
    }
    return syncer != nullptr;
  }

  void onInterrupt() {
    if (interrupted) return;
    interrupted = true;
    stopping = true;
    if (failMessage.empty()) failMessage = "interrupted";
    runner.cancelAll();
  }

  void loadPreviousActions(const std::string& pipeline) {
    meta::RunFilter f;
    f.pipeline = pipeline;
    f.limit = 5;
    auto runs = meta.listRuns(f);
    if (!runs) return;
    for (auto& r : *runs) {
      auto ex = meta.executionsOf(r.id);
      if (!ex) continue;
      for (auto& e : *ex) {
        if (previousActions.count(e.node)) continue;
        Json a = Json::parse(e.paramsJson, nullptr, false);
        if (!a.is_discarded() && a.contains("args")) previousActions[e.node] = a;
      }
    }
  }

  RunSummary abandon(const std::string& why) {
    runner.cancelAll();
    for (int i = 0; i < 100 && !running.empty(); ++i)
      if (auto r = runner.waitAny(0.1)) running.erase(r->id);
    failMessage = why;
    try {
      while (syncer && syncer->pending() > 0) // outputs already stored are recorded
        settleStored(true);
    } catch (const std::exception&) {
    }
    RunSummary sum;
    sum.runId = runId;
    try {
      finishRun(sum);
    } catch (const std::exception& e) {
      sum.message = why + "; " + plan::describeException(e);
    }
    sum.status = meta::RunStatus::Failed;
    sum.exitCode = 2;
    return sum;
  }

  RunSummary finishRun(RunSummary& sum) {
    flushBatched();
    bool failed = !failMessage.empty() || counts.failed > 0;
    sum.status = interrupted ? meta::RunStatus::Interrupted
                 : failed    ? meta::RunStatus::Failed
                             : meta::RunStatus::Succeeded;
    sum.message = failMessage;
    sum.counts = counts;
    sum.exitCode = interrupted ? 130 : failed ? 1 : 0;
    if (!opts.dryRun && !runId.empty()) {
      if (auto s = meta.finishRun(runId, sum.status, sum.message, counts); !s) {
        sum.message += (sum.message.empty() ? "" : "; ") + s.error();
        if (sum.exitCode == 0) sum.exitCode = 2;
      }
    }
    return sum;
  }
};

Executor::Executor(const plan::Plan& plan, const RunOptions& opts, store::Store& store,
                   meta::MetaStore& meta, exec::CommandRunner& runner, Progress& progress)
    : impl_(std::make_unique<Impl>(plan, opts, store, meta, runner, progress)) {}
Executor::~Executor() = default;
RunSummary Executor::run() {
  // Lines the progress held back come before whatever the caller prints about the run.
  struct FlushProgress {
    Progress& progress;
    ~FlushProgress() { progress.flush(); }
  } flushAtEnd{impl_->progress};
  try {
    return impl_->run();
  } catch (const std::exception& e) {
    // plan::validate checks the shapes the runtime reads, but a hand-edited plan can still hold
    // a value it cannot use (a template part of the wrong kind, an output the command never
    // names). End the run as failed, with its processes stopped, instead of aborting and
    // leaving it "running".
    return impl_->abandon("the plan cannot be run: " + plan::describeException(e));
  }
}
const std::vector<PlanDecision>& Executor::decisions() const {
  return impl_->decisions;
}

} // namespace mlpc::sched
