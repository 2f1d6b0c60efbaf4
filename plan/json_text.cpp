#include "plan/json_text.h"

#include <string>
#include <utility>
#include <vector>

namespace mlpc::plan {

namespace {

/// nlohmann's SAX events to a DOM: an open object or array keeps its members in a frame until
/// it closes, then becomes one value of its parent's frame. No value is copied.
class DomBuilder : public nlohmann::json_sax<Json> {
public:
  Json take() { return std::move(result_); }

  bool null() override { return put(Json(nullptr)); }
  bool boolean(bool v) override { return put(Json(v)); }
  bool number_integer(number_integer_t v) override { return put(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return put(Json(v)); }
  bool string(string_t& v) override { return put(Json(std::move(v))); }
  bool binary(binary_t& v) override { return put(Json::binary(std::move(v))); }
  bool start_object(std::size_t) override {
    frames_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().keys.push_back(std::move(k));
    return true;
  }
  bool end_object() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Json obj(Json::value_t::object);
    Json::object_t& members = *obj.get_ptr<Json::object_t*>();
    members.reserve(f.values.size());
    for (size_t i = 0; i < f.values.size(); ++i) {
      // ordered_map::emplace finds a key already there (a repeated key: nlohmann's parser
      // keeps its place and takes the later value).
      auto placed = members.emplace(std::move(f.keys[i]), nullptr);
      placed.first->second = std::move(f.values[i]);
    }
    return put(std::move(obj));
  }
  bool start_array(std::size_t) override {
    frames_.emplace_back();
    return true;
  }
  bool end_array() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    Json arr(Json::value_t::array);
    *arr.get_ptr<Json::array_t*>() = std::move(f.values);
    return put(std::move(arr));
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

private:
  struct Frame {
    std::vector<std::string> keys; ///< an object's, one per value; empty for an array
    std::vector<Json> values;
  };

  bool put(Json v) {
    if (frames_.empty())
      result_ = std::move(v);
    else
      frames_.back().values.push_back(std::move(v));
    return true;
  }

  std::vector<Frame> frames_;
  Json result_;
};

} // namespace

std::optional<Json> parseJson(std::string_view text) {
  DomBuilder dom;
  if (!Json::sax_parse(text, &dom)) return std::nullopt;
  return dom.take();
}

} // namespace mlpc::plan
