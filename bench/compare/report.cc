#include "report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ferrisdb::bench {
namespace {

// A plain decimal number ("12", "-0.5", "3.25"): no sign-only, no "1.2.3",
// none of strtod's "inf", "nan" or hex forms, which JSON does not have.
bool IsJsonNumber(const std::string& s) {
  if (s.empty() || s == "-" ||
      s.find_first_not_of("0123456789.-") != std::string::npos) {
    return false;
  }
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

std::string JsonValue(const std::string& s) {
  return IsJsonNumber(s) ? s : JsonQuote(s);
}

// numbers: write values that look like numbers as numbers (not for versions
// such as "1.23", which are names).
std::string JsonObject(const ReportFields& fields, bool numbers) {
  std::vector<std::string> parts;
  parts.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    parts.push_back(absl::StrCat(
        JsonQuote(name), ": ", numbers ? JsonValue(value) : JsonQuote(value)));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

// One object per row, keyed by the header; the first column stays a string.
std::string JsonRows(const ReportTable& table) {
  std::vector<std::string> objects;
  for (const std::vector<std::string>& row : table.rows) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < table.header.size(); ++i) {
      parts.push_back(
          absl::StrCat(JsonQuote(table.header[i]), ": ",
                       i == 0 ? JsonQuote(row[i]) : JsonValue(row[i])));
    }
    objects.push_back(absl::StrCat("{", absl::StrJoin(parts, ", "), "}"));
  }
  return absl::StrCat("[", absl::StrJoin(objects, ",\n  "), "]");
}

void PrintCsvTable(const ReportTable& table, FILE* out) {
  std::fprintf(out, "%s\n", absl::StrJoin(table.header, ",").c_str());
  for (const std::vector<std::string>& row : table.rows) {
    std::fprintf(out, "%s\n", absl::StrJoin(row, ",").c_str());
  }
}

void PrintMarkdownTable(const ReportTable& table, FILE* out) {
  std::vector<size_t> width(table.header.size());
  for (size_t i = 0; i < table.header.size(); ++i) {
    width[i] = table.header[i].size();
    for (const std::vector<std::string>& row : table.rows) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, " ",
                      i == 0 ? absl::StrFormat("%-*s", width[i], row[i])
                             : absl::StrFormat("%*s", width[i], row[i]),
                      " |");
    }
    std::fprintf(out, "%s\n", line.c_str());
  };
  print_row(table.header);
  std::string rule = "|";
  for (size_t i = 0; i < table.header.size(); ++i) {
    absl::StrAppend(&rule, i == 0 ? ":" : "-", std::string(width[i], '-'),
                    i == 0 ? "-|" : ":|");
  }
  std::fprintf(out, "%s\n", rule.c_str());
  for (const std::vector<std::string>& row : table.rows) print_row(row);
}

}  // namespace

std::optional<ReportFormat> ParseReportFormat(std::string_view text) {
  if (text == "markdown") return ReportFormat::kMarkdown;
  if (text == "csv") return ReportFormat::kCsv;
  if (text == "json") return ReportFormat::kJson;
  return std::nullopt;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void PrintPreamble(ReportFormat format, const std::vector<std::string>& lines) {
  if (format == ReportFormat::kJson) return;
  const char* prefix = format == ReportFormat::kCsv ? "# " : "";
  for (const std::string& line : lines) {
    std::printf("%s%s\n", prefix, line.c_str());
  }
  std::fflush(stdout);
}

void PrintReport(ReportFormat format, const Report& report, FILE* out) {
  if (format == ReportFormat::kJson) {
    std::fprintf(
        out,
        "{\"settings\": %s,\n \"versions\": %s,\n \"engines_described\": "
        "%s,\n \"results\": %s,\n \"latency\": %s,\n \"engines\": %s,\n "
        "\"loadavg_end\": %s}\n",
        JsonObject(report.settings, /*numbers=*/true).c_str(),
        JsonObject(report.versions, /*numbers=*/false).c_str(),
        JsonObject(report.engines_described, /*numbers=*/false).c_str(),
        JsonRows(report.results).c_str(), JsonRows(report.latency).c_str(),
        JsonRows(report.engines).c_str(),
        JsonQuote(report.loadavg_end).c_str());
    return;
  }
  const bool csv = format == ReportFormat::kCsv;
  for (const ReportTable* table :
       {&report.results, &report.latency, &report.engines}) {
    if (table->rows.empty()) continue;
    std::fprintf(out, "\n");
    if (csv) {
      PrintCsvTable(*table, out);
    } else {
      PrintMarkdownTable(*table, out);
    }
  }
  std::fprintf(out, "\n");
  for (const std::string& note : report.notes) {
    std::fprintf(out, "%s%s\n", csv ? "# " : "", note.c_str());
  }
}

}  // namespace ferrisdb::bench
