// Report: how ferrisdb_compare prints what it measured, in one of three
// formats, so that the driver (ferrisdb_compare.cc) only gathers figures.
//
//   markdown  the preamble lines as they are, then each table as a markdown
//             table (first column left-aligned, the others right-aligned),
//             then the notes
//   csv       the same, with the preamble and the notes as "# " comment
//             lines and the tables as comma-separated rows
//   json      one object: {"settings", "versions", "engines_described",
//             "results", "latency", "engines", "loadavg_end"}; no preamble
//             or notes
//
// Cells are strings; in JSON a table cell or a setting is written as a number
// when it is a plain decimal (so "-" and "none" stay strings), except in a
// table's first column; versions and descriptions are always strings.
#ifndef FERRISDB_BENCH_COMPARE_REPORT_H_
#define FERRISDB_BENCH_COMPARE_REPORT_H_

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferrisdb::bench {

enum class ReportFormat { kMarkdown, kCsv, kJson };

// Parses "markdown", "csv" or "json".
std::optional<ReportFormat> ParseReportFormat(std::string_view text);

// A table of cells. REQUIRES: every row has header.size() cells.
struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Ordered name/value pairs (the JSON objects keep this order).
using ReportFields = std::vector<std::pair<std::string, std::string>>;

struct Report {
  ReportFields settings;           // JSON "settings"
  ReportFields versions;           // JSON "versions": engine -> version
  ReportFields engines_described;  // JSON: engine -> Describe()
  ReportTable results;             // benchmark rows (JSON "results")
  ReportTable latency;             // latency rows (JSON "latency")
  ReportTable engines;             // per-engine rows (JSON "engines")
  std::vector<std::string> notes;  // markdown and csv only, after the tables
  std::string loadavg_end;         // JSON only (the notes carry it otherwise)
};

// Prints the lines that describe the run before it starts (machine, workload,
// each engine's settings): nothing for JSON, "# "-prefixed for csv.
void PrintPreamble(ReportFormat format, const std::vector<std::string>& lines);

// Prints the report to out (stdout by default).
void PrintReport(ReportFormat format, const Report& report, FILE* out = stdout);

// s as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view s);

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_COMPARE_REPORT_H_
