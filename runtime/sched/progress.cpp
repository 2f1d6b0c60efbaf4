#include "sched/progress.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace mlpc::sched {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.2fs" : "%.1fs", s);
  return buf;
}

/// Lines held back until the run waits (flush()), or 64 KiB of them: a fully cached re-run
/// reports ten thousand hits in a burst, and a write per line was a tenth of its time on a pipe.
/// Nothing is held while the run waits for a process, so a log never lags behind it.
class HeldLines {
public:
  explicit HeldLines(std::ostream& out) : out_(out) {}
  ~HeldLines() { flush(); }
  void add(const std::string& line) {
    held_ += line;
    held_ += '\n';
    if (held_.size() >= 64 * 1024) flush();
  }
  void flush() {
    if (held_.empty()) return;
    out_ << held_ << std::flush; // std::cerr is unbuffered: the whole text is one write
    held_.clear();
  }

private:
  std::ostream& out_;
  std::string held_;
};

/// One line per event, for logs and CI.
class PlainProgress : public Progress {
public:
  void emit(const ProgressEvent& e) override {
    std::string line;
    if (e.event == "started")
      line = "  start   " + e.node + " (" + e.step + ")";
    else if (e.event == "cached")
      line = "  cached  " + e.node;
    else if (e.event == "succeeded")
      line = "  done    " + e.node + " in " + seconds(e.seconds);
    else if (e.event == "failed")
      line = "  FAILED  " + e.node + ": " + e.detail;
    else if (e.event == "skipped")
      line = "  skipped " + e.node + " (" + e.detail + ")";
    else if (e.event == "retrying")
      line = "  retry   " + e.node + ": " + e.detail;
    else if (e.event == "registered" || e.event == "message" || e.event == "run_started")
      line = e.detail;
    else if (e.event == "run_finished")
      line = e.detail;
    if (!line.empty()) lines_.add(line);
  }
  void flush() override { lines_.flush(); }

private:
  HeldLines lines_{std::cerr};
};

/// A status line redrawn in place, with finished steps printed above it.
class TerminalProgress : public Progress {
public:
  void emit(const ProgressEvent& e) override {
    if (e.event == "started") ++running;
    if (e.event == "succeeded" || e.event == "failed") --running;
    if (e.event == "succeeded") ++done;
    if (e.event == "cached") ++cached;
    if (e.event == "failed") ++failed;
    std::string out = "\r\x1b[2K";
    if (e.event == "succeeded")
      out += "\x1b[32m✓\x1b[0m " + e.node + " \x1b[2m" + seconds(e.seconds) + "\x1b[0m\n";
    else if (e.event == "cached")
      out += "\x1b[36m↺\x1b[0m " + e.node + " \x1b[2mcached\x1b[0m\n";
    else if (e.event == "failed")
      out += "\x1b[31m✗ " + e.node + "\x1b[0m: " + e.detail + "\n";
    else if (e.event == "skipped")
      out += "\x1b[2m- " + e.node + " skipped (" + e.detail + ")\x1b[0m\n";
    else if (e.event == "retrying")
      out += "\x1b[33m↻\x1b[0m " + e.node + ": " + e.detail + "\n";
    else if ((e.event == "registered" || e.event == "message" || e.event == "run_started" ||
              e.event == "run_finished") &&
             !e.detail.empty())
      out += e.detail + "\n";
    // A fully cached re-run reports thousands of hits in a burst: the status line is redrawn
    // for them at most every 50 ms (and by flush() before the run waits), not once per hit.
    auto now = Clock::now();
    stale_ = e.event != "run_finished";
    if (stale_ && (e.event != "cached" || now - drawn_ >= std::chrono::milliseconds(50)))
      appendStatus(out, now);
    write(out);
  }

  void flush() override {
    if (!stale_) return;
    std::string out = "\r\x1b[2K";
    appendStatus(out, Clock::now());
    write(out);
  }

private:
  void appendStatus(std::string& out, Clock::time_point now) {
    double el = std::chrono::duration<double>(now - start_).count();
    out += "\x1b[1m" + std::to_string(done) + " done, " + std::to_string(running) + " running, " +
           std::to_string(cached) + " cached, " + std::to_string(failed) + " failed\x1b[0m  " +
           seconds(el);
    drawn_ = now;
    stale_ = false;
  }

  /// One write for the whole update, so the terminal never shows half of it.
  static void write(const std::string& out) { std::cerr << out << std::flush; }

  Clock::time_point start_ = Clock::now();
  Clock::time_point drawn_{};
  bool stale_ = false; ///< the status line on screen is missing or out of date
};

class JsonProgress : public Progress {
public:
  void emit(const ProgressEvent& e) override {
    plan::Json j{{"event", e.event}};
    if (!e.node.empty()) j["node"] = e.node;
    if (!e.step.empty()) j["step"] = e.step;
    if (!e.detail.empty()) j["detail"] = e.detail;
    if (!e.source.empty()) j["source"] = e.source;
    if (e.seconds > 0) j["seconds"] = e.seconds;
    lines_.add(j.dump());
  }
  void flush() override { lines_.flush(); }

private:
  HeldLines lines_{std::cout};
};

class QuietProgress : public Progress {
public:
  void emit(const ProgressEvent&) override {}
};

} // namespace

ProgressStyle defaultProgressStyle() {
  const char* nc = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  if (::isatty(2) == 1 && !(nc && *nc) && !(term && std::string(term) == "dumb"))
    return ProgressStyle::Terminal;
  return ProgressStyle::Plain;
}

std::unique_ptr<Progress> makeProgress(ProgressStyle style) {
  switch (style) {
  case ProgressStyle::Terminal:
    return std::make_unique<TerminalProgress>();
  case ProgressStyle::Json:
    return std::make_unique<JsonProgress>();
  case ProgressStyle::Quiet:
    return std::make_unique<QuietProgress>();
  case ProgressStyle::Plain:
    break;
  }
  return std::make_unique<PlainProgress>();
}

} // namespace mlpc::sched
