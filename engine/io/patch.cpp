// Patches of a compiled plan's numbers: the definitions are in io/patch.hpp.
#include "io/patch.hpp"

#include <algorithm>
#include <cmath>

#include "io/csv.hpp"
#include "io/suggest.hpp"
#include "io/variant.hpp"
#include "io/yaml_reader.hpp"
#include "kimsim/apportion.hpp"
#include "kimsim/format.hpp"
#include "kimsim/rules.hpp"

namespace kimsim::io {
namespace {

/// The key of a Baustein's rule, where it has one.
const Key* key_of(const Baustein& b) { return b.rule ? b.rule->keyed_by() : nullptr; }

std::string rule_name(const Baustein& b) { return b.rule ? std::string(b.rule->type().name) : ""; }

/// "0.35" from 350000000000: a weight in 10^-12 as the shortest exact decimal.
std::string weight_text(std::int64_t v) {
  std::string whole = std::to_string(v / kWeightScale);
  std::string frac = std::to_string(v % kWeightScale);
  frac.insert(0, 12 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}

}  // namespace

std::string_view value_kind(SlotKind k) {
  switch (k) {
    case SlotKind::total_budget:
    case SlotKind::budget:
    case SlotKind::rate:
    case SlotKind::minimum: return "money";
    case SlotKind::key_weight: return "weight";
    case SlotKind::unit:
    case SlotKind::base:
    case SlotKind::min:
    case SlotKind::max: return "vza";
    case SlotKind::method: return "method";
    case SlotKind::pass_through: return "switch";
  }
  return "?";
}

std::vector<std::string> patchable_paths(const Scenario& s) {
  std::vector<std::string> out{"budget_eur"};
  for (std::size_t bi = 0; bi < s.bausteine.size(); ++bi) {
    const Baustein& b = s.bausteine[bi];
    const std::string at = "bausteine[" + b.id + "]";
    out.push_back(at + ".budget_eur");
    if (b.rate_per_vza > 0) out.push_back(at + ".rate_per_vza_eur");
    const std::string rule = at + "." + rule_name(b);
    if (const Key* key = key_of(b))
      for (const auto& t : key->terms) out.push_back(rule + ".key." + t.indicator);
    if (rule_as<PositionsByKey>(b))
      for (const char* k : {"unit_vza", "base_vza", "min_vza", "max_vza", "method"}) out.push_back(rule + "." + k);
    if (rule_as<MoneyByKey>(b)) out.push_back(rule + ".minimum_eur");
    if (!b.pass_through.empty()) out.push_back(at + ".pass_through");
  }
  return out;
}

std::optional<Slot> resolve_slot(const Scenario& s, std::string_view path, std::string& why) {
  const auto steps = parse_value_path(path);
  const auto refuse = [&](const std::string& what) -> std::optional<Slot> {
    std::string list;
    for (const auto& p : patchable_paths(s)) list += (list.empty() ? "" : ", ") + p;
    why = "'" + std::string(path) + "' " + what + did_you_mean(path, patchable_paths(s)) +
          "; the numbers a sweep patches in " + s.name + ": " + list;
    return std::nullopt;
  };
  if (!steps) return refuse("is not a path such as bausteine[B2].rate_per_vza_eur");
  Slot slot;
  slot.path = std::string(path);
  const auto& st = *steps;
  if (st.size() == 1 && st[0].key == "budget_eur" && !st[0].item) {
    slot.kind = SlotKind::total_budget;
    return slot;
  }
  if (st.size() < 2 || st[0].key != "bausteine" || !st[0].item || st[1].item) return refuse("is not a patchable number");
  const auto b = std::find_if(s.bausteine.begin(), s.bausteine.end(), [&](const Baustein& x) { return x.id == *st[0].item; });
  if (b == s.bausteine.end()) {
    std::vector<std::string> ids;
    for (const auto& x : s.bausteine) ids.push_back(x.id);
    return refuse("names no Baustein of the scenario (no id '" + *st[0].item + "')");
  }
  slot.baustein = static_cast<std::size_t>(b - s.bausteine.begin());
  const std::string& key = st[1].key;
  if (st.size() == 2) {
    if (key == "budget_eur") slot.kind = SlotKind::budget;
    else if (key == "rate_per_vza_eur" && b->rate_per_vza > 0) slot.kind = SlotKind::rate;
    else if (key == "pass_through" && !b->pass_through.empty()) slot.kind = SlotKind::pass_through;
    else return refuse("is not a patchable number");
    return slot;
  }
  if (key != rule_name(*b)) return refuse("is not a patchable number (the rule of " + b->id + " is " + rule_name(*b) + ")");
  if (st.size() == 4 && st[2].key == "key" && !st[2].item && !st[3].item) {
    const Key* k = key_of(*b);
    if (!k) return refuse("is not a patchable number");
    const auto t = std::find_if(k->terms.begin(), k->terms.end(), [&](const Key::Term& x) { return x.indicator == st[3].key; });
    if (t == k->terms.end()) return refuse("is no term of the key of " + b->id + " (a sweep changes weights, it adds no indicator)");
    slot.kind = SlotKind::key_weight;
    slot.term = static_cast<std::size_t>(t - k->terms.begin());
    return slot;
  }
  if (st.size() == 3 && !st[2].item) {
    const std::string& v = st[2].key;
    if (rule_as<PositionsByKey>(*b)) {
      if (v == "unit_vza") slot.kind = SlotKind::unit;
      else if (v == "base_vza") slot.kind = SlotKind::base;
      else if (v == "min_vza") slot.kind = SlotKind::min;
      else if (v == "max_vza") slot.kind = SlotKind::max;
      else if (v == "method") slot.kind = SlotKind::method;
      else return refuse("is not a patchable number");
      return slot;
    }
    if (rule_as<MoneyByKey>(*b) && v == "minimum_eur") {
      slot.kind = SlotKind::minimum;
      return slot;
    }
  }
  return refuse("is not a patchable number");
}

std::string value_problem(const Slot& slot, std::int64_t v) {
  // The scenario reader's checks (engine/io/scenario.cpp, yaml_reader.cpp), said as it says them.
  if (v < 0) return "must not be negative";
  switch (slot.kind) {
    case SlotKind::total_budget:
    case SlotKind::budget:
    case SlotKind::minimum:
      if (static_cast<std::uint64_t>(v) > Reader::max_cents())
        return "is out of range (max 10^13 EUR: sums of thousands of amounts must fit in 64-bit cents)";
      return "";
    case SlotKind::rate:
      if (static_cast<std::uint64_t>(v) > Reader::max_cents())
        return "is out of range (max 10^13 EUR: sums of thousands of amounts must fit in 64-bit cents)";
      if (v == 0 || v % 2 != 0)
        return "the amount per VZÄ must be above 0 with an even number of cents, since a half position receives half of it";
      return "";
    case SlotKind::unit: return v <= 0 ? "the unit must be at least 0.5" : "";
    case SlotKind::base:
    case SlotKind::min:
    case SlotKind::max: return v >= (std::int64_t{1} << 30) / 5 ? "is out of range (max 214748364 VZÄ)" : "";
    case SlotKind::key_weight: return v > std::int64_t{9'000'000} * kWeightScale / 1000 ? "is out of range (max 9000)" : "";
    case SlotKind::method: return static_cast<std::size_t>(v) > static_cast<std::size_t>(Method::vinton) ? "is no method" : "";
    case SlotKind::pass_through: return v > 1 ? "expected true or false" : "";
  }
  return "";
}

std::optional<std::int64_t> parse_value(const Slot& slot, std::string_view text, std::string& why) {
  const std::string_view kind = value_kind(slot.kind);
  const auto d = parse_decimal(text);
  std::optional<std::int64_t> v;
  if (kind == "money") {
    const auto cents = d && d->decimals <= 2 ? scale_to(*d, 2, Reader::max_cents()) : std::nullopt;
    if (cents) v = static_cast<std::int64_t>(*cents);
    else why = "expected an amount in EUR with at most two decimals, such as 57000.00" + (d ? std::string() : "; " + decimal_problem(text));
  } else if (kind == "vza") {
    const auto tenths = d && d->decimals <= 1 ? scale_to(*d, 1, 1u << 30) : std::nullopt;
    if (tenths && *tenths % 5 == 0) v = static_cast<std::int64_t>(*tenths / 5);
    else why = "expected a number of positions (VZÄ) in steps of 0.5, such as 3.5" + (d ? std::string() : "; " + decimal_problem(text));
  } else if (kind == "weight") {
    const auto scaled = d && d->decimals <= 12 ? scale_to(*d, 12, 9000 * static_cast<std::uint64_t>(kWeightScale)) : std::nullopt;
    if (scaled) v = static_cast<std::int64_t>(*scaled);
    else why = "expected a key weight such as 0.35 (non-negative, at most 12 decimals, at most 9000)" + (d ? std::string() : "; " + decimal_problem(text));
  } else if (kind == "method") {
    if (const auto m = parse_method(text)) return static_cast<std::int64_t>(*m);
    std::vector<std::string> names;
    for (const auto name : method_names()) names.emplace_back(name);
    why = "unknown method '" + std::string(text) + "'" + did_you_mean(std::string(text), names);
  } else if (text == "true" || text == "false") {
    v = text == "true" ? 1 : 0;
  } else {
    why = "expected true (pass-through as written) or false (switched off)";
  }
  if (!v) return std::nullopt;
  if (std::string problem = value_problem(slot, *v); !problem.empty()) {
    why = std::move(problem);
    return std::nullopt;
  }
  return v;
}

std::string value_text(const Slot& slot, std::int64_t v) {
  const std::string_view kind = value_kind(slot.kind);
  if (kind == "money") return format_euros(v);
  if (kind == "vza") return format_positions(v);
  if (kind == "weight") return weight_text(v);
  if (kind == "method") return std::string(method_name(static_cast<Method>(v)));
  return v ? "true" : "false";
}

std::optional<std::int64_t> base_value(const Scenario& s, const Slot& slot) {
  if (slot.kind == SlotKind::total_budget) return s.budget;
  const Baustein& b = s.bausteine[slot.baustein];
  const auto* p = rule_as<PositionsByKey>(b);
  switch (slot.kind) {
    case SlotKind::total_budget: return s.budget;
    case SlotKind::budget: return b.budget;
    case SlotKind::rate: return b.rate_per_vza;
    case SlotKind::key_weight: {
      // The weight as read: the reader's double of a decimal of at most 12 places is exact here.
      const double w = key_of(b)->terms[slot.term].weight;
      return static_cast<std::int64_t>(std::llround(w * static_cast<double>(kWeightScale)));
    }
    case SlotKind::unit: return p->unit;
    case SlotKind::base: return p->base;
    case SlotKind::min: return p->min ? std::optional<std::int64_t>(*p->min) : std::nullopt;
    case SlotKind::max: return p->max ? std::optional<std::int64_t>(*p->max) : std::nullopt;
    case SlotKind::method: return static_cast<std::int64_t>(p->rule.method);
    case SlotKind::minimum: return rule_as<MoneyByKey>(b)->minimum;
    case SlotKind::pass_through: return 1;
  }
  return std::nullopt;
}

PatchBlame blame(const Scenario& s, std::span<const Slot> slots, std::string_view refused) {
  // `inner` lies inside `outer` (or is it): "a.b" inside "a", "a[x]" inside "a", not "ab" inside "a".
  const auto within = [](std::string_view inner, std::string_view outer) {
    return inner.substr(0, outer.size()) == outer && (inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[');
  };
  PatchBlame out;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Slot& slot = slots[i];
    if (slot.kind == SlotKind::total_budget) {
      // The total sets every Baustein's budget and so reaches every Baustein's rule.
      bool budget = false;
      for (std::size_t bi = 0; bi < s.bausteine.size() && !budget; ++bi) budget = refused == baustein_path(s, bi, "budget_eur");
      (budget ? out.sets : out.changes).push_back(i);
    } else if (slot.kind != SlotKind::pass_through && within(slot.path, refused)) {
      // (Not pass-through: the model refuses a pass-through only where it is on, as in the base,
      // so the entry changed nothing there; the value that caused it was set elsewhere.)
      out.sets.push_back(i);
    } else if (within(refused, baustein_path(s, slot.baustein))) {
      out.changes.push_back(i);
    }
  }
  return out;
}

PlanInputs PatchedInputs::inputs() const {
  PlanInputs in;
  in.budget = budget;
  in.rate_per_vza = rate;
  in.bausteine = bausteine;
  return in;
}

void apply(const Scenario& s, std::span<const Slot> slots, std::span<const std::int64_t> values, PatchedInputs& out) {
  const std::size_t nb = s.bausteine.size();
  out.budget.resize(nb);
  out.rate.resize(nb);
  out.bausteine.assign(nb, {});
  out.weights.resize(nb);
  for (std::size_t bi = 0; bi < nb; ++bi) {
    out.budget[bi] = s.bausteine[bi].budget;
    out.rate[bi] = s.bausteine[bi].rate_per_vza;
    out.weights[bi].clear();
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Slot& slot = slots[i];
    const std::int64_t v = values[i];
    BausteinOverrides& o = out.bausteine[slot.baustein];
    switch (slot.kind) {
      case SlotKind::total_budget: {
        // In the base's proportions, exact to the cent: the largest remainder of the split.
        out.split_weight.resize(nb);
        out.split_parts.resize(nb);
        for (std::size_t bi = 0; bi < nb; ++bi) out.split_weight[bi] = static_cast<std::uint64_t>(s.bausteine[bi].budget);
        Workspace ws;
        split_cents(v, out.split_weight, out.split_parts, ws);
        for (std::size_t bi = 0; bi < nb; ++bi) out.budget[bi] = out.split_parts[bi];
        break;
      }
      case SlotKind::budget: out.budget[slot.baustein] = v; break;
      case SlotKind::rate: out.rate[slot.baustein] = v; break;
      case SlotKind::key_weight: {
        auto& w = out.weights[slot.baustein];
        if (w.empty())
          for (const auto& t : key_of(s.bausteine[slot.baustein])->terms) w.push_back(t.weight);
        // As the reader makes a double of a decimal: digits / 10^decimals.
        w[slot.term] = static_cast<double>(v) / static_cast<double>(kWeightScale);
        break;
      }
      case SlotKind::unit: o.unit = v; break;
      case SlotKind::base: o.base = v; break;
      case SlotKind::min: o.min = v; break;
      case SlotKind::max: o.max = v; break;
      case SlotKind::method: o.method = static_cast<Method>(v); break;
      case SlotKind::minimum: o.minimum = v; break;
      case SlotKind::pass_through: o.pass_through = v != 0; break;
    }
  }
  for (std::size_t bi = 0; bi < nb; ++bi) out.bausteine[bi].key_weight = out.weights[bi];
}

Scenario patched_scenario(const Scenario& s, std::span<const Slot> slots, std::span<const std::int64_t> values, bool places) {
  Scenario out;
  out.name = s.name, out.programme = s.programme, out.year = s.year;
  if (places) out.places = s.places;
  out.budget = s.budget;
  out.bausteine = s.bausteine;
  PatchedInputs in;
  apply(s, slots, values, in);
  out.budget = 0;
  for (std::size_t bi = 0; bi < out.bausteine.size(); ++bi) {
    Baustein& b = out.bausteine[bi];
    const BausteinOverrides& o = in.bausteine[bi];
    b.budget = in.budget[bi];
    b.rate_per_vza = in.rate[bi];
    out.budget += b.budget;
    if (!o.pass_through) b.pass_through.clear();
    if (o.empty()) continue;
    if (rule_as<PositionsByKey>(b)) {
      PositionsByKey& r = edit_rule<PositionsByKey>(b);
      for (std::size_t t = 0; t < o.key_weight.size(); ++t) r.key.terms[t].weight = o.key_weight[t];
      if (o.unit) r.unit = *o.unit;
      if (o.base) r.base = *o.base;
      if (o.min) r.min = o.min;
      if (o.max) r.max = o.max;
      if (o.method) r.rule.method = *o.method;
    } else if (rule_as<MoneyByKey>(b)) {
      MoneyByKey& r = edit_rule<MoneyByKey>(b);
      for (std::size_t t = 0; t < o.key_weight.size(); ++t) r.key.terms[t].weight = o.key_weight[t];
      if (o.minimum) r.minimum = *o.minimum;
    }
  }
  return out;
}

}  // namespace kimsim::io
