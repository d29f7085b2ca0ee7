// ChildMessage: what a ferrisdb_compare child process (child_process.h) sends
// back to the driver over its pipe, and how it is written.
//
// A message is a sequence of records, each
//
//   <name> ' ' <length, decimal ASCII> '\n' <length bytes of value> '\n'
//
// where a name is one or more bytes other than ' ' and '\n', and a value is
// any bytes (so an engine's Describe() text needs no escaping). The first
// record is "kind" with value "engine_info 1" or "engine_run 1" (the kind and
// the version of its fields); the last is "end" with an empty value, so a
// child that died half-way through writing is told apart from a complete
// message. Numbers are decimal text: counts as integers, measurements as
// printf "%.17g" (exact for a double, and -1 for "not measured").
//
// engine_info 1 (an engine described, for the report's header):
//   name, version, compression, describe     Engine's strings (engine.h)
//
// engine_run 1 (one engine run, EngineRun of engine_runner.h):
//   ops/<benchmark>    ops per second, one record per benchmark run
//   found/<benchmark>  keys found (entries for readseq), per read benchmark
//   db_bytes, db_files, write_amp, wchar_amp, peak_rss, peak_anon_rss,
//   start_rss
//
// The decoder rejects an unknown kind or version, a missing field, a
// malformed number, a record after "end" or a missing "end". Both ends are
// the same binary, so there is no compatibility to keep across versions; the
// version only makes a mismatch fail loudly.
#ifndef FERRISDB_BENCH_COMPARE_CHILD_MESSAGE_H_
#define FERRISDB_BENCH_COMPARE_CHILD_MESSAGE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine_runner.h"

namespace ferrisdb::bench {

// What the driver prints about an engine it never creates itself.
struct EngineInfo {
  std::string name;         // Engine::name()
  std::string version;      // Engine::Version()
  std::string compression;  // Engine::compression()
  std::string describe;     // Engine::Describe()
};

std::string EncodeEngineInfo(const EngineInfo& info);
absl::StatusOr<EngineInfo> DecodeEngineInfo(std::string_view message);

std::string EncodeEngineRun(const EngineRun& run);
absl::StatusOr<EngineRun> DecodeEngineRun(std::string_view message);

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_COMPARE_CHILD_MESSAGE_H_
