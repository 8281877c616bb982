// Reading TOML tables into settings structs, for the loader only: a Reader that keeps the first
// error (every message starts with the full key path), and key tables (Section) that both
// reject unknown keys and read the known ones, so that a new key is one line in one table.
// Thread-safe (no shared state).
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace wps::config {

// Collects the first error; later failures are ignored. Used by one load on one thread.
class Reader {
 public:
  Status error;

  bool failed() const { return !error.isOk(); }
  // Records "<key>: <problem>" unless an error was recorded before.
  void fail(const std::string& key, const std::string& problem) {
    if (!failed()) error = invalidArgument(key + ": " + problem);
  }

  // "prefix.key", or "key" at the top level (empty prefix).
  static std::string join(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

  // Each read leaves *out unchanged on a type or range error. `key` is the full key path.
  void readString(const toml::node& n, const std::string& key, std::string* out) {
    if (auto v = n.value<std::string>()) {
      *out = *v;
    } else {
      fail(key, "must be a string");
    }
  }

  void readBool(const toml::node& n, const std::string& key, bool* out) {
    if (auto v = n.value_exact<bool>()) {
      *out = *v;
    } else {
      fail(key, "must be true or false");
    }
  }

  template <class T>
  void readInt(const toml::node& n, const std::string& key, T* out, int64_t min, int64_t max) {
    auto v = n.value_exact<int64_t>();
    if (!v) {
      fail(key, "must be an integer");
      return;
    }
    if (*v < min || *v > max) {
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return;
    }
    *out = static_cast<T>(*v);
  }

  // An integer count of the duration's unit (seconds, milliseconds).
  template <class Duration>
  void readDuration(const toml::node& n, const std::string& key, Duration* out, int64_t min,
                    int64_t max) {
    int64_t count = out->count();
    readInt(n, key, &count, min, max);
    *out = Duration(count);
  }

  void readStringArray(const toml::node& n, const std::string& key, std::vector<std::string>* out) {
    const toml::array* arr = n.as_array();
    if (!arr) {
      fail(key, "must be an array of strings");
      return;
    }
    out->clear();
    for (size_t i = 0; i < arr->size(); ++i) {
      auto v = (*arr)[i].value<std::string>();
      if (!v) {
        fail(key + "[" + std::to_string(i) + "]", "must be a string");
        return;
      }
      out->push_back(*v);
    }
  }

  // The node as a table, or nullptr (and an error) when it is something else.
  const toml::table* asTable(const toml::node& n, const std::string& key) {
    if (!n.is_table()) {
      fail(key, "must be a table");
      return nullptr;
    }
    return n.as_table();
  }
};

// One known key of a table read into S. `read` runs only when the key is present, with the
// key's full path; an absent `required` key is an error ("is required").
template <class S>
struct Key {
  using Read = std::function<void(Reader&, const toml::node&, const std::string& key, S&)>;
  std::string_view name;
  Read read;
  bool required = false;
};

// The keys of one table, in reading order (which decides the error reported first), and the
// checks that involve several keys, run once the keys were read.
template <class S>
struct Section {
  std::vector<Key<S>> keys;
  std::function<void(Reader&, const std::string& prefix, S&)> validate = nullptr;
};

// Rejects the keys of `table` that `section` does not list ("unknown key"), then reads the
// listed ones into `out` and runs the section's checks. `prefix`: the table's key path.
template <class S>
void readSection(Reader& r, const toml::table& table, const std::string& prefix,
                 const Section<S>& section, S& out) {
  for (const auto& entry : table) {
    std::string_view name = entry.first.str();
    bool known = std::any_of(section.keys.begin(), section.keys.end(),
                             [name](const Key<S>& key) { return key.name == name; });
    if (!known) r.fail(Reader::join(prefix, name), "unknown key");
  }
  for (const Key<S>& key : section.keys) {
    std::string path = Reader::join(prefix, key.name);
    if (const toml::node* n = table.get(key.name)) {
      key.read(r, *n, path, out);
    } else if (key.required) {
      r.fail(path, "is required");
    }
  }
  if (section.validate) section.validate(r, prefix, out);
}

// --- Keys of the common kinds: one line per key in a table --------------------------------

template <class S>
Key<S> stringKey(std::string_view name, std::string S::*field) {
  return {name, [field](Reader& r, const toml::node& n, const std::string& key, S& s) {
            r.readString(n, key, &(s.*field));
          }};
}

template <class S>
Key<S> stringArrayKey(std::string_view name, std::vector<std::string> S::*field) {
  return {name, [field](Reader& r, const toml::node& n, const std::string& key, S& s) {
            r.readStringArray(n, key, &(s.*field));
          }};
}

template <class S>
Key<S> boolKey(std::string_view name, bool S::*field) {
  return {name, [field](Reader& r, const toml::node& n, const std::string& key, S& s) {
            r.readBool(n, key, &(s.*field));
          }};
}

// An integer from `min` to `max`.
template <class S, class T>
Key<S> intKey(std::string_view name, T S::*field, int64_t min, int64_t max) {
  return {name, [field, min, max](Reader& r, const toml::node& n, const std::string& key, S& s) {
            r.readInt(n, key, &(s.*field), min, max);
          }};
}

// A duration given as an integer count of its unit, from `min` to `max`.
template <class S, class Rep, class Period>
Key<S> durationKey(std::string_view name, std::chrono::duration<Rep, Period> S::*field, int64_t min,
                   int64_t max) {
  return {name, [field, min, max](Reader& r, const toml::node& n, const std::string& key, S& s) {
            r.readDuration(n, key, &(s.*field), min, max);
          }};
}

// A sub-table read by `section` into the member `field` (`section` must outlive the key).
template <class S, class Sub>
Key<S> sectionKey(std::string_view name, Sub S::*field, const Section<Sub>& section) {
  return {name, [field, &section](Reader& r, const toml::node& n, const std::string& key, S& s) {
            if (const toml::table* t = r.asTable(n, key))
              readSection(r, *t, key, section, s.*field);
          }};
}

// A sub-table whose keys are read by `section` into the same struct.
template <class S>
Key<S> sectionKey(std::string_view name, const Section<S>& section) {
  return {name, [&section](Reader& r, const toml::node& n, const std::string& key, S& s) {
            if (const toml::table* t = r.asTable(n, key)) readSection(r, *t, key, section, s);
          }};
}

}  // namespace wps::config
