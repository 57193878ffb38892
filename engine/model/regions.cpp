// Regions: the look-up by AGS, flags, Kreis membership, selectors, and where each indicator value
// was read (DataPlaces).
#include <algorithm>
#include <random>
#include <string>

#include "kimsim/model.hpp"

namespace kimsim {

std::string_view region_type_name(RegionType t) {
  switch (t) {
    case RegionType::kreis: return "Kreis";
    case RegionType::kreisfreie_stadt: return "kreisfreie Stadt";
    case RegionType::gemeinde: return "Gemeinde";
  }
  return "?";
}

std::string_view region_type_key(RegionType t) { return region_type_keys()[static_cast<std::size_t>(t)]; }

const std::vector<std::string>& region_type_keys() {
  static const std::vector<std::string> keys = {"kreis", "kreisfreie_stadt", "gemeinde"};
  return keys;
}

std::optional<RegionType> parse_region_type(std::string_view key) {
  const auto& keys = region_type_keys();
  for (std::size_t t = 0; t < keys.size(); ++t)
    if (keys[t] == key) return static_cast<RegionType>(t);
  return std::nullopt;
}

bool Region::has(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

namespace {
/// A polynomial hash with a multiplier drawn once per process, mixed (MurmurHash3's finaliser):
/// AGS crafted to collide in one run collide in no other, so the look-up table cannot be made
/// to degrade to a linear scan. Only look-ups depend on it, never an output.
std::uint32_t hash_of(std::string_view ags) {
  static const std::uint64_t multiplier = (std::random_device{}() * 2ULL + 0x9E3779B97F4A7C15ULL) | 1ULL;
  std::uint64_t h = ags.size();
  for (const char c : ags) h = h * multiplier + static_cast<unsigned char>(c);
  h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL, h ^= h >> 33;
  return static_cast<std::uint32_t>(h);
}
}  // namespace

std::size_t Regions::probe(std::string_view ags, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.index == 0 || (s.hash == hash && list[s.index - 1].ags == ags)) return i;
  }
}

void Regions::rebuild_slots(std::size_t capacity) {
  std::size_t size = 16;
  while (size < 2 * capacity) size *= 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  used_ = 0;
  for (const Slot& s : old)
    if (s.index) insert_slot(s.hash, s.index - 1);
}

void Regions::insert_slot(std::uint32_t hash, std::size_t index) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].index) i = (i + 1) & mask;
  slots_[i] = {hash, static_cast<std::uint32_t>(index + 1)};
  ++used_;
}

void Regions::reserve(std::size_t n) {
  list.reserve(n);
  if (slots_.size() < 2 * n) rebuild_slots(n);
}

bool Regions::add(Region region) {
  if (2 * (used_ + 1) > slots_.size()) rebuild_slots(std::max<std::size_t>(used_ + 1, 2 * used_));
  const std::uint32_t hash = hash_of(region.ags);
  const std::size_t at = probe(region.ags, hash);
  if (slots_[at].index) return false;
  slots_[at] = {hash, static_cast<std::uint32_t>(list.size() + 1)};
  ++used_;
  list.push_back(std::move(region));
  return true;
}

std::optional<std::size_t> Regions::find(std::string_view ags) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[probe(ags, hash_of(ags))];
  return s.index ? std::optional<std::size_t>(s.index - 1) : std::nullopt;
}

std::uint64_t Regions::flag_bit(std::string_view flag) const {
  for (std::size_t b = 0; b < flag_names_.size(); ++b)
    if (flag_names_[b] == flag) return std::uint64_t{1} << b;
  return 0;
}

void Regions::index() {
  flag_names_.clear();
  for (auto& r : list) {
    r.flag_bits = 0;
    for (const auto& f : r.flags) {
      auto it = std::find(flag_names_.begin(), flag_names_.end(), f);
      if (it == flag_names_.end()) {
        if (flag_names_.size() == 64) throw InputError("more than 64 distinct region flags");
        it = flag_names_.insert(flag_names_.end(), f);
      }
      r.flag_bits |= std::uint64_t{1} << (it - flag_names_.begin());
    }
  }
  if (used_ != list.size()) {  // the list was filled directly, not by add(); the first of equal AGS counts
    slots_.clear();
    rebuild_slots(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::uint32_t hash = hash_of(list[i].ags);
      const std::size_t at = probe(list[i].ags, hash);
      if (!slots_[at].index) slots_[at] = {hash, static_cast<std::uint32_t>(i + 1)}, ++used_;
    }
  }
  parent_.resize(list.size());
  members_.assign(list.size(), {});
  for (std::size_t i = 0; i < list.size(); ++i) {
    parent_[i] = list[i].type == RegionType::gemeinde ? find(list[i].kreis).value_or(i) : i;
    if (parent_[i] != i) members_[parent_[i]].push_back(i);
  }
}

std::optional<std::size_t> Regions::indicator(std::string_view name) const {
  for (std::size_t i = 0; i < indicator_names.size(); ++i)
    if (indicator_names[i] == name) return i;
  return std::nullopt;
}

std::vector<std::size_t> select(const Regions& regions, const Selector& s) {
  // Names are resolved once per call, so the loop over regions compares only small integers.
  const std::size_t n = regions.list.size();
  std::vector<std::uint8_t> listed(n, 0);  // 1 include, 2 exclude
  for (const auto& a : s.include)
    if (auto i = regions.find(a)) listed[*i] |= 1;
  for (const auto& a : s.exclude)
    if (auto i = regions.find(a)) listed[*i] |= 2;
  std::uint32_t types = 0;
  for (auto t : s.types) types |= 1u << static_cast<unsigned>(t);
  std::uint64_t flags = 0;
  bool unknown_flag = false;
  for (const auto& f : s.flags) {
    const std::uint64_t bit = regions.flag_bit(f);
    flags |= bit;
    unknown_flag |= bit == 0;  // a flag no region carries selects nothing
  }
  const bool by_kind = !s.types.empty() || !s.flags.empty();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    const Region& r = regions.list[i];
    bool pick = by_kind && (types == 0 || (types >> static_cast<unsigned>(r.type)) & 1u);
    pick = pick && !unknown_flag && (r.flag_bits & flags) == flags;
    pick = (pick || (listed[i] & 1)) && !(listed[i] & 2);
    if (pick) out.push_back(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Where the indicator values were read.

namespace {
std::string column_text(const DataPlaces::Column& c) { return ", column '" + c.name + "'"; }
}  // namespace

std::string DataPlaces::cell(const Regions& regions, std::size_t region, std::size_t indicator) const {
  if (indicator >= columns.size() || columns[indicator].empty()) return "";
  const std::vector<Column>& set_by = columns[indicator];
  for (const Column& c : set_by)
    if (const std::uint32_t line = files[c.file].line[region])
      return files[c.file].path + ":" + std::to_string(line) + column_text(c);
  for (const Column& c : set_by) {
    const std::size_t kreis = regions.kreis_of(region);
    if (!c.split_by.empty() && kreis != region && files[c.file].line[kreis])
      return "split by " + c.split_by + " from " + files[c.file].path + ":" + std::to_string(files[c.file].line[kreis]) +
             column_text(c);
  }
  std::string files_read;
  for (const Column& c : set_by) files_read += (files_read.empty() ? "" : " or ") + files[c.file].path;
  return "no row in " + files_read;
}

bool DataPlaces::has_value(const Regions& regions, std::size_t region, std::size_t indicator) const {
  if (indicator >= columns.size() || columns[indicator].empty()) return true;
  for (const Column& c : columns[indicator]) {
    if (c.missing_zero || files[c.file].line[region]) return true;
    const std::size_t kreis = regions.kreis_of(region);
    if (!c.split_by.empty() && kreis != region && files[c.file].line[kreis]) return true;
  }
  return false;
}

std::string DataPlaces::cells(std::span<const std::size_t> which, std::size_t indicator) const {
  if (indicator >= columns.size() || columns[indicator].empty()) return "";
  constexpr std::size_t kShown = 3;
  std::string out;
  for (const Column& c : columns[indicator]) {
    std::string lines;
    std::size_t count = 0;
    for (const std::size_t r : which)
      if (const std::uint32_t line = files[c.file].line[r]; line && count++ < kShown)
        lines += (lines.empty() ? "" : ", ") + std::to_string(line);
    if (count == 0) continue;
    if (count > kShown) lines += " and " + std::to_string(count - kShown) + " more";
    out += (out.empty() ? "" : "; ") + files[c.file].path + (count == 1 ? " line " : " lines ") + lines + column_text(c);
  }
  return out;
}

}  // namespace kimsim
