// The rule table: a rule added in this file alone is read, allocated and described like the
// built-in ones; the README's list of rule keys and the fuzzing dictionary follow the table.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/scenario.hpp"
#include "kimsim/rule.hpp"
#include "kimsim/rules.hpp"

using namespace kimsim;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// "equal_shares": every recipient the same number of positions; what the budget has beyond them
// stays unallocated. The whole rule: its values, its type (block key, keys, reading), compiling,
// evaluating and describing, in this file only.

struct EqualShares final : AllocationRule {
  Halves each = 0;
  const RuleType& type() const override;
  std::unique_ptr<const CompiledRule> compile(const RuleSite& site) const override;
};

std::shared_ptr<const AllocationRule> read_equal_shares(BlockReader& block) {
  auto rule = std::make_shared<EqualShares>();
  rule->each = block.vza("positions_vza").value_or(0);
  if (rule->each == 0) block.error("positions_vza", "every recipient needs at least 0.5 VZÄ");
  return rule;
}

const RuleType kEqualShares{"equal_shares", "the same positions for every recipient", {"positions_vza"}, {"positions_vza"},
                            true, read_equal_shares};

const RuleType& EqualShares::type() const { return kEqualShares; }

class CompiledEqualShares final : public CompiledRule {
 public:
  explicit CompiledEqualShares(Halves each) : each_(each) {}
  void evaluate(RuleCall& c) const override {
    const Cents half = c.half_rate();
    for (const std::uint32_t k : c.at) {
      c.halves[k] = each_;
      c.cents[k] = c.product(each_, half);
      c.quota[k] = static_cast<double>(each_) / 2.0;
    }
  }
  void describe(const RuleCall& c, std::size_t j, Trace& out) const override {
    out.push_back({"positions for every recipient", vza_text(c.halves[c.at[j]]) + " VZÄ", c.place(c.in_block("positions_vza"))});
  }
  bool memoizable() const override { return true; }

 private:
  Halves each_;
};

std::unique_ptr<const CompiledRule> EqualShares::compile(const RuleSite&) const {
  return std::make_unique<CompiledEqualShares>(each);
}

// ---------------------------------------------------------------------------------------------

struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/kimsim-rules-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
};

const std::string kData = KIMSIM_SOURCE_DIR "/scenarios/data/";

/// A scenario of one Baustein with the given rule block, over the shipped data.
std::string write_scenario(const fs::path& dir, const std::string& rule) {
  const fs::path path = dir / "s.yaml";
  std::ofstream(path) << "scenario: equal\nprogramme: Test\nyear: 2021\nbudget_eur: 6_000_000.00\n"
                         "data:\n  kreise: " << kData << "nrw_kreise_2018.csv\n  gemeinden: " << kData
                      << "nrw_gemeinden_2018.csv\n"
                         "bausteine:\n  - id: E\n    name: Equal\n    budget_eur: 6_000_000.00\n"
                         "    rate_per_vza_eur: 55000.00\n    recipients: {types: [kreis, kreisfreie_stadt]}\n"
                      << "    " << rule << "\n";
  return path.string();
}

std::string error_of(const std::string& path, const RuleTable& rules) {
  try {
    io::load_scenario(path, rules);
  } catch (const io::ScenarioError& e) {
    return e.what();
  }
  return "";
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("a rule added in the test alone is read from YAML, allocated end to end and described") {
  TempDir dir;
  const std::string path = write_scenario(dir.path, "equal_shares: {positions_vza: 2.0}");
  RuleTable rules = RuleTable::builtin();
  rules.add(kEqualShares);
  const io::LoadedScenario ls = io::load_scenario(path, rules);
  const auto* rule = rule_as<EqualShares>(ls.scenario.bausteine[0]);
  REQUIRE(rule);
  CHECK(rule->each == 4);

  const Allocation a = allocate(ls.scenario, ls.regions);
  REQUIRE(a.rows.size() == 53);  // the 31 Kreise and 22 kreisfreie Städte
  for (const auto& r : a.rows) {
    CHECK(r.halves == 4);
    CHECK(r.cents == 11'000'000);  // 2.0 VZÄ x 55,000 EUR
  }
  CHECK(a.totals[0].allocated == 53 * 11'000'000);
  CHECK(a.totals[0].unallocated == 600'000'000 - 53 * 11'000'000);
  CHECK(a.totals[0].unallocated_reason == "not used by the rule");

  const Plan plan(ls.scenario, ls.regions);
  const Trace t = plan.describe({}, 0);
  const auto line = std::find_if(t.begin(), t.end(), [](const TraceLine& l) { return l.label == "positions for every recipient"; });
  REQUIRE(line != t.end());
  CHECK(line->value == "2.0 VZÄ");
  CHECK(line->place == path + ":14:35 bausteine[E].equal_shares.positions_vza");

  // A simulation evaluates without the claims (PlanInputs::claims = false). A rule written as
  // above, filling its claims every time, must still find a buffer to write (it wrote through
  // an empty span before), and a trace asked for without them still gets them.
  PlanInputs lean;
  lean.claims = false;
  Draft d;
  plan.evaluate(lean, d);
  CHECK(d.quota.size() == plan.rows().size());
  CHECK(d.key_share.empty());
  CHECK(d.cents[0] == 11'000'000);
  CHECK(plan.describe(lean, 0).size() == t.size());
}

TEST_CASE("a rule type is found only in a table that has it; its keys get did-you-mean like any block") {
  TempDir dir;
  const std::string path = write_scenario(dir.path, "equal_shares: {positions_vz: 2.0}");
  const std::string builtin = error_of(path, RuleTable::builtin());
  CHECK(builtin.find("bausteine[E].equal_shares: unknown key") != std::string::npos);
  CHECK(builtin.find("needs exactly one rule: fixed_staffing, positions_by_key, money_by_key or staffing_with_cost_items") != std::string::npos);
  RuleTable rules = RuleTable::builtin();
  rules.add(kEqualShares);
  const std::string with = error_of(path, rules);
  CHECK(with.find(":14:20: bausteine[E].equal_shares.positions_vz: unknown key (did you mean 'positions_vza'?); expected "
                  "one of positions_vza") != std::string::npos);
  CHECK(with.find("missing key 'positions_vza'") != std::string::npos);
  CHECK(with.find("needs exactly one rule") == std::string::npos);
  CHECK_THROWS_AS(rules.add(kEqualShares), InputError);  // a name once
  CHECK(rules.names() == "fixed_staffing, positions_by_key, money_by_key, staffing_with_cost_items or equal_shares");
}

namespace {

/// The README's list of rule blocks as the rule table gives it.
std::string rules_markdown(const RuleTable& rules) {
  std::string s = "| rule block | what it does | keys (required in bold) |\n|---|---|---|\n";
  for (const RuleType* t : rules.types()) {
    std::string keys;
    for (const auto& k : t->keys) {
      const bool required = std::find(t->required.begin(), t->required.end(), k) != t->required.end();
      keys += (keys.empty() ? "" : ", ") + (required ? "**`" + k + "`**" : "`" + k + "`");
    }
    s += "| `" + std::string(t->name) + "` | " + std::string(t->summary) +
         (t->needs_rate ? " (needs `rate_per_vza_eur`)" : "") + " | " + keys + " |\n";
  }
  return s;
}

}  // namespace

TEST_CASE("the README lists the rule blocks of the rule table, and the fuzzing dictionary has their keys") {
  const std::string readme = file_text(KIMSIM_SOURCE_DIR "/README.md");
  const std::string begin = "<!-- rule blocks: from the rule table (engine/model/rules/table.cpp); tests/test_rules.cpp checks it -->\n";
  const std::string end = "<!-- end of rule blocks -->";
  const auto from = readme.find(begin), to = readme.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string listed = readme.substr(from + begin.size(), to - from - begin.size());
  const std::string expected = rules_markdown(RuleTable::builtin());
  INFO("README.md, between the markers, should read:\n" << expected);
  CHECK(listed == expected);

  const std::string dict = file_text(KIMSIM_SOURCE_DIR "/fuzz/scenario.dict");
  for (const RuleType* t : RuleTable::builtin().types()) {
    std::vector<std::string> words = t->keys;
    words.emplace_back(t->name);
    for (const auto& w : words) {
      INFO("fuzz/scenario.dict lacks the line \"" << w << "\"");
      CHECK(dict.find("\n\"" + w + "\"\n") != std::string::npos);
    }
  }
}
