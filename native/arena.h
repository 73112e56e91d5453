// Huge-page arena: one mmap'ed region carved into fixed-size slots with an O(1) LIFO free list.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hayate {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena();

  // Maps slotSize * slotCount bytes. `hugetlb` asks for MAP_HUGETLB first (Linux), falling back to plain
  // pages advised with MADV_HUGEPAGE. Returns 0 or -errno.
  int Init(size_t slotSize, uint32_t slotCount, bool hugetlb);
  bool ready() const { return base_ != nullptr; }
  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  size_t slotSize() const { return slotSize_; }
  uint32_t slotCount() const { return slotCount_; }
  uint32_t inUse() const { return slotCount_ - static_cast<uint32_t>(free_.size()); }
  bool hugetlb() const { return hugetlb_; }
  bool advised() const { return advised_; }

  // Pops a free slot, or returns -1 when none is left.
  int32_t Acquire();
  // Pushes `slot` back. Returns false for an out-of-range or already free slot (double release).
  bool Release(int32_t slot);
  // KiB of the region backed by transparent huge pages (AnonHugePages in /proc/self/smaps); -1 if unknown.
  long AnonHugePagesKiB() const;

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
  uint8_t* mappedBase_ = nullptr;
  size_t slotSize_ = 0;
  uint32_t slotCount_ = 0;
  bool hugetlb_ = false;
  bool advised_ = false;
  std::vector<int32_t> free_;
  std::vector<uint8_t> isFree_;
};

}  // namespace hayate
