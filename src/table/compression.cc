#include "table/compression.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"

namespace ferrisdb {
namespace {

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

// One decompression context per thread: ZSTD_decompress would allocate one
// (about 100 KiB) on every call.
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

struct BlockCompressor::ZstdContext {
  ZSTD_CCtx* cctx = nullptr;
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

BlockCompressor::BlockCompressor(CompressionType type, int level)
    : type_(type), level_(level) {
  if (type_ == CompressionType::kZstd) {
    zstd_ = std::make_unique<ZstdContext>();
    zstd_->cctx = ZSTD_createCCtx();
  }
}

BlockCompressor::~BlockCompressor() = default;

CompressionType BlockCompressor::Compress(std::string_view raw,
                                          std::string* out) {
  if (type_ != CompressionType::kZstd || zstd_->cctx == nullptr ||
      raw.empty()) {
    return CompressionType::kNone;
  }
  out->resize(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compressCCtx(zstd_->cctx, out->data(), out->size(),
                                     raw.data(), raw.size(), level_);
  if (ZSTD_isError(n)) return CompressionType::kNone;
  // Not worth the decompression cost unless it saves at least 1/8.
  if (n > raw.size() - raw.size() / 8) return CompressionType::kNone;
  out->resize(n);
  return CompressionType::kZstd;
}

absl::StatusOr<uint64_t> ZstdUncompressedSize(std::string_view compressed,
                                              uint64_t max_size) {
  const unsigned long long size =
      ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return absl::InvalidArgumentError("malformed zstd frame");
  }
  if (size > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd frame claims ", size, " bytes, limit ", max_size));
  }
  return uint64_t{size};
}

absl::Status ZstdUncompress(std::string_view compressed, char* dst,
                            size_t size) {
  ZSTD_DCtx* ctx = ThreadDCtx();
  if (ctx == nullptr) return absl::ResourceExhaustedError("ZSTD_createDCtx");
  const size_t n =
      ZSTD_decompressDCtx(ctx, dst, size, compressed.data(), compressed.size());
  if (ZSTD_isError(n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  if (n != size) {
    return absl::InvalidArgumentError("zstd frame size mismatch");
  }
  return absl::OkStatus();
}

}  // namespace ferrisdb
