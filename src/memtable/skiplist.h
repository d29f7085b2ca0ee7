// SkipList: an ordered set of keys in an Arena, for one writer and any number
// of lock-free readers. The memtable's index.
//
// Keys are never removed and nodes are never freed before the arena is.
//
// Thread-safety:
//   - Insert / InsertWithPayload: REQUIRES external synchronization (at most
//     one writer at a time).
//   - Contains and Iterator: lock-free, safe concurrently with one writer and
//     with each other. A reader may or may not see a key whose insertion
//     overlaps it; a key whose insertion finished before the read started
//     (happens-before) is seen. Keys it sees are complete and in order.
//   - The list (and its arena) must outlive every reader and iterator.
//
// Memory orders: a node's key, payload and forward links are written with
// plain or relaxed stores while the node is private to the writer; it is then
// published by a release store of its address into its predecessor's link.
// Readers follow links with acquire loads, which synchronize with that
// release, so everything written before publication is visible to a reader
// that reaches the node. max_height_ is relaxed: a reader that sees a new
// height before the head links at that height are set finds nullptr there and
// drops a level; one that sees the old height misses only shortcuts.
//
// Levels: at most kMaxHeight, each node reaching level i+1 with probability
// 1/kBranching, drawn from a per-list splitmix64 generator (deterministic for
// a given seed, touched only by the writer).
#ifndef FERRISDB_MEMTABLE_SKIPLIST_H_
#define FERRISDB_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "util/arena.h"

namespace ferrisdb {

// Key: copyable, default constructible, trivially destructible (nodes are
// never destroyed), e.g. an integer or a pointer into the arena.
// Comparator: `int operator()(const Key& a, const Key& b) const` returning
// <0, 0, >0; a total order. Seek, SeekForPrev and Contains also accept a
// Target of another type if the comparator has
// `int operator()(const Key& k, const Target& t) const` consistent with that
// order (the memtable compares entries against a bare internal key this way).
template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  static constexpr int kBranchingBits = 2;
  static constexpr int kBranching = 1 << kBranchingBits;  // 4
  static constexpr uint64_t kDefaultSeed = 0x5eed'f3a4'1e55'0001;

  // Allocates the head node from *arena at once. REQUIRES: arena outlives
  // the list. seed fixes the sequence of node heights.
  SkipList(Comparator cmp, Arena* arena, uint64_t seed = kDefaultSeed);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts key. REQUIRES: external synchronization; nothing equal to key is
  // in the list.
  void Insert(const Key& key) {
    InsertWithPayload(0, [&key](char*) { return key; });
  }

  // Inserts a key that refers to payload_size bytes allocated together with
  // its node (one arena allocation, and the key bytes share cache lines with
  // the links that lead to them). make_key(char* payload) fills the payload
  // and returns the key; payload is unaligned and valid as long as the arena.
  // REQUIRES: as Insert.
  template <typename MakeKey>
  void InsertWithPayload(size_t payload_size, MakeKey&& make_key);

  // True if an element equal to target is in the list. Thread-safe.
  template <typename Target>
  bool Contains(const Target& target) const {
    const Node* x = FindGreaterOrEqual(target, nullptr);
    return x != nullptr && compare_(x->key, target) == 0;
  }

  // A cursor over the list. Creating and moving it is lock-free and
  // allocation-free. REQUIRES: one thread uses an iterator at a time.
  class Iterator {
   public:
    // Initially invalid. REQUIRES: *list outlives the iterator.
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid(). The reference lives as long as the list.
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES: Valid().
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
      // Nodes lie in insertion order in the arena, so a scan misses the
      // cache at every step: start loading the following node (and the
      // start of its payload) while the caller works on this one.
      if (node_ != nullptr) {
        const Node* after = node_->Next(0);
        if (after != nullptr) {
          __builtin_prefetch(after);
          __builtin_prefetch(reinterpret_cast<const char*>(after) + 64);
        }
      }
    }
    // REQUIRES: Valid(). O(log n): nodes have no back links, so this searches
    // from the head for the last key before the current one.
    void Prev() {
      assert(Valid());
      node_ = list_->HeadToNull(list_->FindLessThan(node_->key, false));
    }
    // First key >= target.
    template <typename Target>
    void Seek(const Target& target) {
      node_ = list_->FindGreaterOrEqual(target, nullptr);
    }
    // Last key <= target.
    template <typename Target>
    void SeekForPrev(const Target& target) {
      node_ = list_->HeadToNull(list_->FindLessThan(target, true));
    }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() { node_ = list_->HeadToNull(list_->FindLast()); }

   private:
    const SkipList* list_;
    const Node* node_ = nullptr;
  };

 private:
  // Memory of a node of height h, from one arena allocation:
  //   Node (the key) | std::atomic<Node*> links[h] | payload
  // links[i] is the next node at level i.
  struct alignas(std::atomic<Node*>) Node {
    explicit Node(const Key& k) : key(k) {}

    Key const key;

    std::atomic<Node*>* links() {
      return std::launder(reinterpret_cast<std::atomic<Node*>*>(
          reinterpret_cast<char*>(this) + sizeof(Node)));
    }
    const std::atomic<Node*>* links() const {
      return std::launder(reinterpret_cast<const std::atomic<Node*>*>(
          reinterpret_cast<const char*>(this) + sizeof(Node)));
    }
    // Acquire: see the comment at the top of the file.
    Node* Next(int level) const {
      return links()[level].load(std::memory_order_acquire);
    }
    // Release: publishes the node stored (and everything written into it).
    void SetNext(int level, Node* x) {
      links()[level].store(x, std::memory_order_release);
    }
    // Relaxed: only while the node is not yet reachable by readers, or to
    // read a link the writer itself wrote.
    Node* NoBarrierNext(int level) const {
      return links()[level].load(std::memory_order_relaxed);
    }
    void NoBarrierSetNext(int level, Node* x) {
      links()[level].store(x, std::memory_order_relaxed);
    }
  };
  static_assert(alignof(Node) <= alignof(std::max_align_t),
                "arena blocks are only max_align_t aligned");
  static_assert(std::is_trivially_destructible_v<Key>,
                "nodes are never destroyed");

  static constexpr size_t NodeSize(int height) {
    return sizeof(Node) +
           sizeof(std::atomic<Node*>) * static_cast<size_t>(height);
  }

  // Memory for a node of the given height followed by payload_size bytes
  // (at mem + NodeSize(height)). The caller constructs the node.
  char* AllocateNode(int height, size_t payload_size) {
    return arena_->AllocateAligned(NodeSize(height) + payload_size,
                                   alignof(Node));
  }

  // Constructs the node and its (null) links in mem.
  static Node* ConstructNode(char* mem, int height, const Key& key) {
    Node* x = new (mem) Node(key);
    for (int i = 0; i < height; ++i) {
      new (mem + NodeSize(i)) std::atomic<Node*>(nullptr);
    }
    return x;
  }

  int GetMaxHeight() const {
    return max_height_.load(std::memory_order_relaxed);
  }

  // splitmix64: cheap, good enough bits, deterministic per seed.
  uint64_t NextRandom() {
    rnd_ += 0x9e37'79b9'7f4a'7c15;
    uint64_t z = rnd_;
    z = (z ^ (z >> 30)) * 0xbf58'476d'1ce4'e5b9;
    z = (z ^ (z >> 27)) * 0x94d0'49bb'1331'11eb;
    return z ^ (z >> 31);
  }

  // 1 with probability 3/4, 2 with 3/16, ... capped at kMaxHeight: each
  // group of kBranchingBits zero bits adds a level.
  int RandomHeight() {
    uint64_t bits = NextRandom();
    int height = 1;
    while (height < kMaxHeight && (bits & (kBranching - 1)) == 0) {
      ++height;
      bits >>= kBranchingBits;
    }
    return height;
  }

  static void Prefetch(const void* p) {
    // Read, little temporal locality needed: searches touch a node once.
    __builtin_prefetch(p, 0, 1);
  }

  const Node* HeadToNull(const Node* x) const {
    return x == head_ ? nullptr : x;
  }

  // First node with key >= target, or nullptr. If prev is not null, fills
  // prev[level] with the last node before target at each level below
  // GetMaxHeight() (used by Insert).
  template <typename Target>
  Node* FindGreaterOrEqual(const Target& target, Node** prev) const;

  // Last node with key < target (<= if inclusive), or head_ if none.
  template <typename Target>
  Node* FindLessThan(const Target& target, bool inclusive) const;

  // Last node, or head_ if the list is empty.
  Node* FindLast() const;

  // Immutable after construction.
  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;

  // Written by the writer only; relaxed (see the top of the file).
  std::atomic<int> max_height_{1};
  // Writer only.
  uint64_t rnd_;
};

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator cmp, Arena* arena, uint64_t seed)
    : compare_(cmp),
      arena_(arena),
      // arena_ is initialized before head_ (declaration order).
      head_(ConstructNode(AllocateNode(kMaxHeight, 0), kMaxHeight, Key())),
      rnd_(seed) {}

template <typename Key, class Comparator>
template <typename MakeKey>
void SkipList<Key, Comparator>::InsertWithPayload(size_t payload_size,
                                                  MakeKey&& make_key) {
  const int height = RandomHeight();
  char* mem = AllocateNode(height, payload_size);
  Node* x = ConstructNode(mem, height, make_key(mem + NodeSize(height)));

  Node* prev[kMaxHeight];
  [[maybe_unused]] const Node* next = FindGreaterOrEqual(x->key, prev);
  assert(next == nullptr || compare_(next->key, x->key) != 0);

  const int max_height = GetMaxHeight();
  if (height > max_height) {
    for (int i = max_height; i < height; ++i) prev[i] = head_;
    max_height_.store(height, std::memory_order_relaxed);
  }
  // Bottom-up: when a reader finds x at level i, x is already linked at every
  // level below i, so dropping down from x is correct.
  for (int i = 0; i < height; ++i) {
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

template <typename Key, class Comparator>
template <typename Target>
typename SkipList<Key, Comparator>::Node*
SkipList<Key, Comparator>::FindGreaterOrEqual(const Target& target,
                                              Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  // The node that stopped the search one level up: meeting it again at a
  // lower level stops the search there too, without a comparison.
  const Node* last_stop = nullptr;
  while (true) {
    Node* next = x->Next(level);
    int cmp = 1;  // nullptr is past every key
    if (next != nullptr && next != last_stop) {
      // Fetch the node after next while next is compared: if we advance,
      // it is the next one compared.
      Prefetch(next->NoBarrierNext(level));
      cmp = compare_(next->key, target);
    }
    if (cmp < 0) {
      x = next;
      continue;
    }
    if (prev != nullptr) prev[level] = x;
    if (level == 0 || (cmp == 0 && prev == nullptr)) {
      // An exact match at a high level is the answer: every node between x
      // and next at lower levels is < target.
      return next;
    }
    last_stop = next;
    --level;
  }
}

template <typename Key, class Comparator>
template <typename Target>
typename SkipList<Key, Comparator>::Node*
SkipList<Key, Comparator>::FindLessThan(const Target& target,
                                        bool inclusive) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  const Node* last_stop = nullptr;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && next != last_stop) {
      Prefetch(next->NoBarrierNext(level));
      const int cmp = compare_(next->key, target);
      if (cmp < 0 || (inclusive && cmp == 0)) {
        x = next;
        continue;
      }
    }
    if (level == 0) return x;
    last_stop = next;
    --level;
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast()
    const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr) {
      x = next;
    } else if (level == 0) {
      return x;
    } else {
      --level;
    }
  }
}

}  // namespace ferrisdb

#endif  // FERRISDB_MEMTABLE_SKIPLIST_H_
