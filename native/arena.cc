#include "arena.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

namespace hayate {

namespace {
constexpr size_t kHugePage = 2u << 20;
}

Arena::~Arena() {
  if (mappedBase_ != nullptr) munmap(mappedBase_, mapped_);
}

int Arena::Init(size_t slotSize, uint32_t slotCount, bool hugetlb) {
  if (base_ != nullptr) return -EEXIST;
  if (slotSize == 0 || slotCount == 0 || slotSize % 64 != 0) return -EINVAL;
  size_ = slotSize * slotCount;
#if defined(__linux__) && defined(MAP_HUGETLB)
  if (hugetlb) {
    // Explicit huge pages need a reserved pool (vm.nr_hugepages); without one this fails and we fall back.
    const size_t rounded = (size_ + kHugePage - 1) & ~(kHugePage - 1);
    void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (p != MAP_FAILED) {
      mappedBase_ = base_ = static_cast<uint8_t*>(p);
      mapped_ = rounded;
      hugetlb_ = true;
    }
  }
#else
  (void)hugetlb;
#endif
  if (base_ == nullptr) {
    // Over-map by one huge page so the region can start on a 2 MiB boundary: THP only backs aligned ranges.
    mapped_ = size_ + kHugePage;
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    mappedBase_ = static_cast<uint8_t*>(p);
    const uintptr_t aligned = (reinterpret_cast<uintptr_t>(p) + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    base_ = reinterpret_cast<uint8_t*>(aligned);
#ifdef MADV_HUGEPAGE
    advised_ = madvise(base_, size_, MADV_HUGEPAGE) == 0;
#endif
  }
  slotSize_ = slotSize;
  slotCount_ = slotCount;
  free_.reserve(slotCount);
  isFree_.assign(slotCount, 1);
  // Highest index at the bottom, so slot 0 is handed out first and recently used slots are reused first.
  for (uint32_t i = slotCount; i > 0; i--) free_.push_back(static_cast<int32_t>(i - 1));
  return 0;
}

int32_t Arena::Acquire() {
  if (free_.empty()) return -1;
  const int32_t s = free_.back();
  free_.pop_back();
  isFree_[static_cast<size_t>(s)] = 0;
  return s;
}

bool Arena::Release(int32_t slot) {
  if (slot < 0 || static_cast<uint32_t>(slot) >= slotCount_) return false;
  if (isFree_[static_cast<size_t>(slot)]) return false;
  isFree_[static_cast<size_t>(slot)] = 1;
  free_.push_back(slot);
  return true;
}

long Arena::AnonHugePagesKiB() const {
#ifdef __linux__
  if (base_ == nullptr) return -1;
  FILE* f = fopen("/proc/self/smaps", "re");
  if (f == nullptr) return -1;
  char line[512];
  bool inRegion = false;
  long total = 0;
  const uintptr_t lo = reinterpret_cast<uintptr_t>(base_);
  const uintptr_t hi = lo + size_;
  while (fgets(line, sizeof line, f) != nullptr) {
    unsigned long start = 0, end = 0;
    // Mapping header lines look like "7f0000000000-7f0000200000 rw-p ...".
    if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') != nullptr &&
        strncmp(line, "AnonHugePages", 13) != 0) {
      inRegion = start < hi && end > lo;
      continue;
    }
    long kib = 0;
    if (inRegion && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) total += kib;
  }
  fclose(f);
  return total;
#else
  return -1;
#endif
}

}  // namespace hayate
