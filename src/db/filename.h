// Names of the files FerrisDB keeps in a database directory. Anything that
// does not parse as one of these is not ours and is never touched.
//
//   LOCK                              advisory lock held while the DB is open
//   <number>-<first sequence>.log     write-ahead log (docs/format/wal.md)
//   <number>.sst                      table (docs/format/sstable.md)
//   MANIFEST-<number>                 log of version edits (manifest.md)
//   CURRENT                           names the live manifest (manifest.md)
//   <number>.dbtmp                    a file being written, renamed into
//                                     place when complete (CURRENT)
//
// <number> is the file number (decimal, zero-padded to 6 digits, more when
// needed); <first sequence> is the sequence number of the first write the log
// holds, zero-padded to 20 digits, so the sequence range of every log file is
// known from the directory listing alone: file i holds
// [first_sequence(i), first_sequence(i+1) - 1].
#ifndef FERRISDB_DB_FILENAME_H_
#define FERRISDB_DB_FILENAME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferrisdb {

enum class FileType { kLock, kWal, kTable, kManifest, kCurrent, kTemp };

struct ParsedFileName {
  FileType type;
  uint64_t number = 0;          // all but kLock and kCurrent
  uint64_t first_sequence = 0;  // kWal only
};

std::string LockFileName(const std::string& dbname);
std::string WalFileName(const std::string& dbname, uint64_t number,
                        uint64_t first_sequence);
// The name (not the path) of a WAL file.
std::string WalFileBaseName(uint64_t number, uint64_t first_sequence);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string ManifestFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string TempFileName(const std::string& dbname, uint64_t number);

// Parses a directory entry name (not a path); nullopt if it is not a file
// FerrisDB creates.
std::optional<ParsedFileName> ParseFileName(std::string_view name);

}  // namespace ferrisdb

#endif  // FERRISDB_DB_FILENAME_H_
