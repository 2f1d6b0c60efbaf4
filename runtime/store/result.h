#pragma once
/// Error handling for the runtime libraries. Functions return a Result (or a Status) instead of
/// throwing: a full disk, a permission problem or a busy database is an expected outcome that the
/// CLI reports as a message, so it travels as a value across the library boundary.
#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace mlpc::store {

/// A failure described for humans: names the path or object involved and the cause.
struct Error {
  std::string message;
};

inline Error fail(std::string message) {
  return Error{std::move(message)};
}

/// Either a T or an Error. `T` must not be `Error`.
template <class T> class [[nodiscard]] Result {
public:
  template <class U = T, std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                              !std::is_same_v<std::decay_t<U>, Error> &&
                                              !std::is_same_v<std::decay_t<U>, Result>,
                                          int> = 0>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The message; only valid when !ok().
  const std::string& error() const {
    assert(!ok());
    return std::get<1>(v_).message;
  }
  /// The error itself, for propagating: `if (!r) return r.err();`.
  Error err() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

/// Success or an Error, for operations without a value.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const std::string& error() const {
    assert(!ok());
    return error_->message;
  }
  Error err() const { return *error_; }

private:
  std::optional<Error> error_;
};

using Status = Result<void>;

} // namespace mlpc::store
