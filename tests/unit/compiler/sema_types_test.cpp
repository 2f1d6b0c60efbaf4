// The type rules of language.md's type table: assignability, joins for list literals, names.
#include "sema/types.h"

#include <catch2/catch.hpp>

using namespace mlpc::sema;

namespace {
Type T(TypeKind k) {
  return Type::of(k);
}
Type fmt(TypeKind k, const char* f) {
  return Type::withFormat(k, f);
}
Type metrics(std::vector<std::pair<const char*, TypeKind>> fs) {
  std::vector<Field> fields;
  for (auto& [n, k] : fs)
    fields.push_back({n, Type::of(k)});
  return Type::record(TypeKind::Metrics, std::move(fields));
}
} // namespace

TEST_CASE("int widens to float, never the other way", "[sema][types]") {
  CHECK(assignable(T(TypeKind::Int), T(TypeKind::Float)));
  CHECK_FALSE(assignable(T(TypeKind::Float), T(TypeKind::Int)));
  CHECK(assignable(T(TypeKind::Int), T(TypeKind::Int)));
  CHECK_FALSE(assignable(T(TypeKind::Bool), T(TypeKind::Int)));
  CHECK_FALSE(assignable(T(TypeKind::String), T(TypeKind::Float)));
}

TEST_CASE("unit kinds are assignable only to themselves", "[sema][types]") {
  for (TypeKind u : {TypeKind::Duration, TypeKind::Size, TypeKind::Percent}) {
    CHECK(assignable(T(u), T(u)));
    CHECK_FALSE(assignable(T(u), T(TypeKind::Float)));
    CHECK_FALSE(assignable(T(TypeKind::Int), T(u)));
    CHECK_FALSE(assignable(T(TypeKind::Float), T(u)));
  }
  CHECK_FALSE(assignable(T(TypeKind::Duration), T(TypeKind::Percent)));
  CHECK_FALSE(assignable(T(TypeKind::Size), T(TypeKind::Duration)));
}

TEST_CASE("Dataset<csv> is assignable to Dataset, never the other way", "[sema][types]") {
  Type csv = fmt(TypeKind::Dataset, "csv"), tsv = fmt(TypeKind::Dataset, "tsv");
  Type any = T(TypeKind::Dataset);
  CHECK(assignable(csv, any));
  CHECK_FALSE(assignable(any, csv));
  CHECK_FALSE(assignable(csv, tsv));
  CHECK(assignable(csv, csv));
  CHECK(assignable(any, any));
}

TEST_CASE("Model<x> is assignable to Model", "[sema][types]") {
  Type sk = fmt(TypeKind::Model, "sklearn"), onnx = fmt(TypeKind::Model, "onnx");
  CHECK(assignable(sk, T(TypeKind::Model)));
  CHECK_FALSE(assignable(T(TypeKind::Model), sk));
  CHECK_FALSE(assignable(onnx, sk));
  CHECK_FALSE(assignable(sk, T(TypeKind::Dataset)));
}

TEST_CASE("Metrics: a record with more fields fits one with fewer", "[sema][types]") {
  Type wide = metrics({{"auc", TypeKind::Float}, {"f1", TypeKind::Float}});
  Type narrow = metrics({{"auc", TypeKind::Float}});
  Type intAuc = metrics({{"auc", TypeKind::Int}});
  Type plain = T(TypeKind::Metrics);
  CHECK(assignable(wide, narrow));
  CHECK_FALSE(assignable(narrow, wide));
  CHECK(assignable(intAuc, narrow)); // field types follow the scalar rules
  CHECK_FALSE(assignable(narrow, intAuc));
  CHECK(assignable(wide, plain));         // any Metrics is a Metrics
  CHECK_FALSE(assignable(plain, narrow)); // undeclared fields do not satisfy declared ones
  CHECK(assignable(plain, T(TypeKind::Metrics)));
  CHECK(assignable(metrics({}), plain));
}

TEST_CASE("File is the top of the artifacts; Dir stands apart", "[sema][types]") {
  Type file = T(TypeKind::File), dir = T(TypeKind::Dir);
  for (Type a : {fmt(TypeKind::Dataset, "csv"), T(TypeKind::Dataset), fmt(TypeKind::Model, "onnx"),
                 T(TypeKind::Metrics), metrics({{"auc", TypeKind::Float}}), file}) {
    INFO(a.str());
    CHECK(assignable(a, file));
    CHECK_FALSE(assignable(a, dir));
  }
  CHECK_FALSE(assignable(dir, file));
  CHECK(assignable(dir, dir));
  CHECK_FALSE(assignable(file, T(TypeKind::Dataset)));
  CHECK_FALSE(assignable(file, T(TypeKind::Model)));
  CHECK_FALSE(assignable(T(TypeKind::String), file));
  CHECK_FALSE(assignable(T(TypeKind::Int), file));
}

TEST_CASE("lists are covariant", "[sema][types]") {
  CHECK(assignable(Type::list(fmt(TypeKind::Dataset, "csv")), Type::list(T(TypeKind::Dataset))));
  CHECK_FALSE(
      assignable(Type::list(T(TypeKind::Dataset)), Type::list(fmt(TypeKind::Dataset, "csv"))));
  CHECK(assignable(Type::list(T(TypeKind::Int)), Type::list(T(TypeKind::Float))));
  CHECK_FALSE(assignable(Type::list(T(TypeKind::Float)), Type::list(T(TypeKind::Int))));
  CHECK(assignable(Type::list(Type::list(fmt(TypeKind::Model, "x"))),
                   Type::list(Type::list(T(TypeKind::File)))));
  CHECK_FALSE(assignable(Type::list(T(TypeKind::Int)), T(TypeKind::Int)));
  CHECK_FALSE(assignable(T(TypeKind::Int), Type::list(T(TypeKind::Int))));
}

TEST_CASE("the error type is assignable both ways (one mistake, one report)", "[sema][types]") {
  CHECK(assignable(Type::error(), T(TypeKind::Int)));
  CHECK(assignable(fmt(TypeKind::Dataset, "csv"), Type::error()));
  CHECK(assignable(Type::list(Type::error()), Type::list(T(TypeKind::String))));
}

TEST_CASE("join: the least type both fit into", "[sema][types]") {
  CHECK(join(T(TypeKind::Int), T(TypeKind::Float)).kind == TypeKind::Float);
  CHECK(join(T(TypeKind::Float), T(TypeKind::Int)).kind == TypeKind::Float);
  CHECK(join(fmt(TypeKind::Dataset, "csv"), T(TypeKind::Dataset)).str() == "Dataset");
  CHECK(join(fmt(TypeKind::Dataset, "csv"), T(TypeKind::Metrics)).kind == TypeKind::File);
  CHECK(join(T(TypeKind::Dir), T(TypeKind::File)).isError());
  CHECK(join(T(TypeKind::Int), T(TypeKind::String)).isError());
  CHECK(join(T(TypeKind::Duration), T(TypeKind::Float)).isError());
  CHECK(join(Type::error(), T(TypeKind::Bool)).kind == TypeKind::Bool);
}

TEST_CASE("types print as the language writes them", "[sema][types]") {
  CHECK(T(TypeKind::Int).str() == "int");
  CHECK(T(TypeKind::Percent).str() == "percent");
  CHECK(fmt(TypeKind::Dataset, "csv").str() == "Dataset<csv>");
  CHECK(T(TypeKind::Model).str() == "Model");
  CHECK(Type::list(fmt(TypeKind::Model, "onnx")).str() == "list<Model<onnx>>");
  CHECK(metrics({{"auc", TypeKind::Float}, {"n", TypeKind::Int}}).str() ==
        "Metrics{auc: float, n: int}");
  CHECK(Type::record(TypeKind::Record, {{"train", T(TypeKind::File)}}).str() == "{train: File}");
  CHECK(Type::error().str() == "{error}");
  CHECK(unitName(T(TypeKind::Duration)) == "a duration");
  CHECK(unitName(T(TypeKind::Size)) == "a size");
  CHECK(unitName(T(TypeKind::Percent)) == "a percent");
  CHECK(unitName(T(TypeKind::Float)) == "a plain number");
  CHECK(unitName(T(TypeKind::String)) == "`string`");
}

TEST_CASE("type predicates", "[sema][types]") {
  CHECK(T(TypeKind::Int).isNumeric());
  CHECK_FALSE(T(TypeKind::Duration).isNumeric());
  CHECK(T(TypeKind::Size).isUnit());
  CHECK(T(TypeKind::Dir).isArtifact());
  CHECK_FALSE(T(TypeKind::String).isArtifact());
  CHECK(T(TypeKind::Record).isValue());
  CHECK_FALSE(T(TypeKind::Step).isValue());
  CHECK(metrics({{"auc", TypeKind::Float}}).field("auc") != nullptr);
  CHECK(metrics({{"auc", TypeKind::Float}}).field("f1") == nullptr);
}

TEST_CASE("KNOWN_BUG: the join of two formats of one kind is that kind, not File",
          "[sema][types]") {
  // compiler/sema/types.cpp join(): the "both artifacts -> File" branch comes before the
  // "same kind -> unformatted kind" branch, which is therefore unreachable. So
  // `[csv_table, tsv_table]` is a list<File> and cannot be passed as list<Dataset>
  // (tests/golden/diagnostics/E004_list_join_formats.mlp). Fixed: join keeps the shared kind.
  CHECK(join(fmt(TypeKind::Dataset, "csv"), fmt(TypeKind::Dataset, "tsv")).str() == "Dataset");
  CHECK(join(fmt(TypeKind::Model, "a"), fmt(TypeKind::Model, "b")).str() == "Model");
}

TEST_CASE("the type store holds each childless type once and each list or record apart",
          "[sema][types]") {
  TypeStore store;
  // A plain kind's index is the kind itself, and it is the type of that kind.
  CHECK(store.add(T(TypeKind::Int)) == static_cast<uint32_t>(TypeKind::Int));
  CHECK(store[store.add(T(TypeKind::File))].kind == TypeKind::File);
  CHECK(store[static_cast<uint32_t>(TypeKind::Error)].isError());
  // Formats, names and declarations tell types apart, and equal ones share an index.
  uint32_t csv = store.add(fmt(TypeKind::Dataset, "csv"));
  CHECK(store.add(fmt(TypeKind::Dataset, "csv")) == csv);
  CHECK(store.add(fmt(TypeKind::Dataset, "parquet")) != csv);
  CHECK(store.add(fmt(TypeKind::Model, "csv")) != csv);
  CHECK(store[csv].str() == "Dataset<csv>");
  int declA = 0, declB = 0; // only their addresses matter
  auto* a = reinterpret_cast<const mlpc::ast::Decl*>(&declA);
  auto* b = reinterpret_cast<const mlpc::ast::Decl*>(&declB);
  uint32_t refA = store.add(Type::ref(TypeKind::Step, a));
  CHECK(store.add(Type::ref(TypeKind::Step, a)) == refA);
  CHECK(store.add(Type::ref(TypeKind::Step, b)) != refA);
  CHECK(store.add(Type::ref(TypeKind::Pipeline, a)) != refA);
  CHECK(store[refA].decl == a);
  Type builtin = T(TypeKind::Builtin);
  builtin.name = "argmax";
  uint32_t argmax = store.add(builtin);
  CHECK(store[argmax].name == "argmax");
  CHECK(store.add(builtin) == argmax);
  // Lists and records are kept as given (not compared), each under an index of its own.
  Type list = Type::list(fmt(TypeKind::Dataset, "csv"));
  uint32_t l1 = store.add(list), l2 = store.add(list);
  CHECK(l1 != l2);
  CHECK(store[l1].str() == "list<Dataset<csv>>");
  uint32_t m = store.add(metrics({{"auc", TypeKind::Float}}));
  REQUIRE(store[m].field("auc"));
  // What the store hands out stays where it is as it grows.
  const Type& held = store[csv];
  for (int i = 0; i < 10000; ++i)
    store.add(list);
  CHECK(&store[csv] == &held);
  CHECK(held.str() == "Dataset<csv>");
}
