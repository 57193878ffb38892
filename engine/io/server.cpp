// Boost.Beast rather than cpp-httplib: it comes with the Boost the project already uses (no new
// package, no libssl/brotli/zlib), and beast::tcp_stream::expires_after gives a true deadline per
// request (reading, answering and writing together), where cpp-httplib only has per-read and
// per-write timeouts that a slow client can stretch.
#include "io/server.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "io/output.hpp"
#include "kimsim/error.hpp"
#include "kimsim/version.hpp"

namespace kimsim::io {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// The request line and header fields together. Browsers send the cookies of every local tool on
/// 127.0.0.1 (Jupyter, RStudio, ...): more than Beast's default 8 KiB is common there.
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

/// What every connection shares: the API, the options and the Host values it accepts.
struct Shared {
  const WhatIf& api;
  ServerOptions options;
  std::vector<std::string> hosts;  ///< "address:port" forms that name the bound socket
  std::uint16_t port = 0;
  bool any_address = false;  ///< bound to 0.0.0.0 or ::: reached by every address of the machine
};

/// Whether the Host header (lower case) names this server. A DNS rebinding attack needs a name
/// that the attacker's DNS resolves to this machine; an IP literal is no name, so on a server
/// bound to every address any literal address with the right port is this server.
bool host_allowed(const Shared& shared, const std::string& host) {
  if (std::find(shared.hosts.begin(), shared.hosts.end(), host) != shared.hosts.end()) return true;
  if (!shared.any_address) return false;
  const auto colon = host.rfind(':');
  if (colon == std::string::npos || host.substr(colon + 1) != std::to_string(shared.port)) return false;
  std::string address = host.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  else if (address.find(':') != std::string::npos) return false;  // an IPv6 literal needs its brackets
  beast::error_code ec;
  asio::ip::make_address(address, ec);
  return !ec;
}

std::string json_error(const std::string& path, const std::string& message, const std::string& hint) {
  // The Host header is the client's bytes: what is not UTF-8 shows as U+FFFD rather than throwing.
  return dump_json(nlohmann::json{{"path", path}, {"message", message}, {"hint", hint}, {"kimsim_version", kVersion}}) + "\n";
}

std::string lower(std::string_view v) {
  std::string o(v);
  for (char& ch : o) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  return o;
}

/// The comma-separated elements of every `field` line of the request, lower case, without the
/// white space around them: Connection, Expect and Transfer-Encoding are lists, which a client
/// may also split over several lines (RFC 9110 5.3).
std::vector<std::string> elements(const http::request_header<>& request, http::field field) {
  std::vector<std::string> out;
  for (auto [it, end] = request.equal_range(field); it != end; ++it) {
    const std::string_view v(it->value().data(), it->value().size());
    for (std::size_t from = 0; from <= v.size();) {
      std::size_t to = v.find(',', from);
      if (to == std::string_view::npos) to = v.size();
      std::string_view e = v.substr(from, to - from);
      while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
      while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
      if (!e.empty()) out.push_back(lower(e));
      from = to + 1;
    }
  }
  return out;
}

bool has(const std::vector<std::string>& v, std::string_view e) { return std::find(v.begin(), v.end(), e) != v.end(); }

/// Whether the connection stays open after the answer: HTTP/1.1 unless a Connection line says
/// close, HTTP/1.0 only where one says keep-alive (and none close).
bool wants_keep_alive(const http::request_header<>& request) {
  const auto connection = elements(request, http::field::connection);
  if (has(connection, "close")) return false;
  return request.version() >= 11 || has(connection, "keep-alive");
}

/// Whether a Host value is one by the grammar (RFC 3986 host [":" port]): letters, digits,
/// "-._~", percent escapes, sub-delims, ':' and the brackets of an IPv6 literal. Not white space,
/// '@', '/' or a second value after a comma-space (a host list is no host).
bool host_syntax(std::string_view host) {
  if (host.empty()) return false;
  for (const char ch : host) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    std::string_view("-._~%!$&'()*+,;=:[]").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

/// An absolute-form target (`http://HOST:PORT/path?query`, RFC 9112 3.2.2: a server must accept
/// it) as its authority and its origin form (`/path?query`; an empty path is `/`).
struct AbsoluteTarget {
  std::string_view authority;
  std::string origin;
};
std::optional<AbsoluteTarget> absolute_form(std::string_view target) {
  constexpr std::string_view scheme = "http://";
  if (target.size() < scheme.size() || lower(target.substr(0, scheme.size())) != scheme) return std::nullopt;
  const std::string_view rest = target.substr(scheme.size());
  const std::size_t end = std::min(rest.find('/'), rest.find('?'));
  if (end == std::string_view::npos) return AbsoluteTarget{rest, "/"};
  return AbsoluteTarget{rest.substr(0, end), (rest[end] == '?' ? "/" : "") + std::string(rest.substr(end))};
}

/// One connection: requests read and answered in turn (keep-alive), each under its deadline.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, const Shared& shared) : stream_(std::move(socket)), shared_(shared) {}
  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this()));
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const Shared& shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  http::response<http::empty_body> continue_;  ///< "100 Continue", written before the body is read
  bool head_ = false;                          ///< the request is HEAD: its answer has no body
  bool keep_alive_ = false;                    ///< the client keeps the connection open
  bool http10_ = false;                        ///< the request is HTTP/1.0: keep-alive is said

  /// A refusal of a request by its header alone (before its body is read).
  struct Refusal {
    int status = 400;
    std::string body;
  };

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    parser_->header_limit(kMaxHeaderBytes);
    head_ = false;
    keep_alive_ = false;
    http10_ = false;
    // The deadline covers the whole request: a client that sends slowly is cut off.
    stream_.expires_after(std::chrono::seconds(shared_.options.deadline_seconds));
    read_header();
  }

  void read_header() {
    // RFC 9112 2.2: empty lines before a request are passed over (a client's CRLF after a body),
    // here and not by Beast, which refuses a CR whose LF is still on its way (TCP may cut there).
    // Only the request's deadline bounds a client that sends nothing else.
    std::size_t n = 0;
    while (buffered().substr(n).starts_with("\r\n")) n += 2;
    buffer_.consume(n);
    if (buffered().empty() || buffered() == "\r") {
      stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t got) {
        if (ec) return self->close();  // a timeout or the client gone: nobody to answer
        self->buffer_.commit(got);
        self->read_header();
      });
      return;
    }
    // The header first: a client that asks `Expect: 100-continue` sends its body only once told
    // to (curl does for large bodies), and one whose body is too large is refused unread.
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  std::string_view buffered() const { return {static_cast<const char*>(buffer_.data().data()), buffer_.size()}; }

  /// Answers a failed read; false where the read succeeded.
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    // A request refused before its header was read whole is answered as a HEAD where it began so:
    // its request line parsed (the method is set), or still in the buffer.
    head_ = parser_->get().method() == http::verb::head || buffered().starts_with("HEAD ");
    if (ec == http::error::end_of_stream) {
      close();
    } else if (ec == http::error::body_limit) {
      // Said from the Content-Length alone where there is one: the body is not read.
      respond(413, json_error("body", fmt::format("the request body is larger than {} bytes", kMaxBodyBytes),
                              "send the scenario's name and a patch of the values you change"),
              "application/json", false);
    } else if (ec == http::error::header_limit) {
      // The request line (not parsed: no line end within the limit) or the header fields (the
      // line parsed, its bytes gone from the buffer)?
      const std::size_t end = buffered().find("\r\n");
      const bool line = parser_->get().target().empty() && (end == std::string_view::npos || end + 2 > kMaxHeaderBytes);
      respond(line ? 414 : 431,
              json_error(line ? "target" : "header", fmt::format("the request {} is longer than {} bytes", line ? "line" : "header", kMaxHeaderBytes),
                         line ? "send the scenario and the patch in a POST body" : "send fewer or shorter headers (cookies)"),
              "application/json", false);
    } else if (ec.category() == make_error_code(http::error::bad_method).category() && ec != http::error::partial_message) {
      // Bytes that are no HTTP request: said, and the connection closed (where the next request
      // would begin is unknown).
      respond(400, json_error("request", "not an HTTP/1.1 request: " + ec.message(), "send METHOD TARGET HTTP/1.1, the headers and a blank line"),
              "application/json", false);
    } else {
      close();  // a timeout or a broken connection: nobody to answer
    }
    return true;
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (failed(ec)) return;
    const auto& request = parser_->get();
    head_ = request.method() == http::verb::head;
    keep_alive_ = wants_keep_alive(request);
    http10_ = request.version() < 11;
    // A body this server does not read is refused before it is sent, and the connection closed
    // (where the next request would begin is unknown).
    if (const auto refusal = unframed(request)) return respond(refusal->status, refusal->body, "application/json", false);
    // RFC 9110 10.1.1: a client that expects 100-continue waits for it before sending its body.
    // Its header is checked first: a request refused now is answered without its body, and the
    // connection closed (the unsent body would otherwise be read as the next request). Not to
    // an HTTP/1.0 client, which knows no 100.
    if (has(elements(request, http::field::expect), "100-continue") && request.version() >= 11 && !parser_->is_done()) {
      if (const auto refusal = refused(request)) return respond(refusal->status, refusal->body, "application/json", false);
      continue_ = {};
      continue_.version(11);
      continue_.result(http::status::continue_);
      http::async_write(stream_, continue_, beast::bind_front_handler(&Session::on_continue, shared_from_this()));
      return;
    }
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_continue(beast::error_code ec, std::size_t) {
    if (ec) return close();
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  /// A request whose body this server would not read as sent: a Transfer-Encoding (Beast would
  /// de-chunk it, but a chunked body's trailers escape the header limit, and a coding other than
  /// chunked last leaves the body's end unknown: request smuggling, RFC 9112 6.3), or an
  /// expectation other than 100-continue (RFC 9110 10.1.1: 417).
  std::optional<Refusal> unframed(const http::request_header<>& request) const {
    const auto codings = elements(request, http::field::transfer_encoding);
    if (request.count(http::field::transfer_encoding) > 0) {
      if (codings.empty() || codings.back() != "chunked")
        return Refusal{400, json_error("Transfer-Encoding", "the body's end is unknown: its last transfer coding is not chunked",
                                       "send the body with a Content-Length")};
      return Refusal{411, json_error("Transfer-Encoding", "a chunked body is not read here: it needs a Content-Length",
                                     "send the body with a Content-Length (curl --data-binary @FILE does)")};
    }
    for (const auto& e : elements(request, http::field::expect))
      if (e != "100-continue")
        return Refusal{417, json_error("Expect", "the expectation '" + e + "' is not one this server meets", "expect nothing, or 100-continue")};
    return std::nullopt;
  }

  /// What the header alone refuses: no Host or two, a Host that does not name this server, a
  /// POST that is not JSON.
  std::optional<Refusal> refused(const http::request_header<>& request) const {
    // Two Host fields name two servers: which one the client meant is unknown (RFC 9112 3.2: 400).
    if (request.count(http::field::host) > 1)
      return Refusal{400, json_error("Host", "the request has more than one Host header", "send one Host header: the address kimsim serve printed")};
    const std::string_view header(request[http::field::host].data(), request[http::field::host].size());
    if (!host_syntax(header))
      return Refusal{400, json_error("Host", header.empty() ? std::string("the request has no Host header") : "the Host header '" + std::string(header) + "' is no host",
                                     "send one Host header: the address kimsim serve printed")};
    // An absolute-form target names the server itself; the Host header is then ignored (RFC 9112 3.2.2).
    const auto absolute = absolute_form(std::string_view(request.target().data(), request.target().size()));
    if (absolute && !host_syntax(absolute->authority))
      return Refusal{400, json_error("target", "the target's authority '" + std::string(absolute->authority) + "' is no host",
                                     "send the path alone (GET /api/scenarios), or http://ADDRESS:PORT/path")};
    // Host names are case-insensitive (LOCALHOST is localhost); the allowed ones are lower case.
    const std::string host = lower(absolute ? absolute->authority : header);
    if (!host_allowed(shared_, host))
      // A page of another site that resolves its name to this address (DNS rebinding) sends its
      // own name here: refused.
      return Refusal{403, json_error("Host", "the Host header '" + host + "' does not name this server",
                                     "use the URL kimsim serve printed (its address or localhost, with the port)")};
    // A POST must say it is JSON. A page of another site may send a "simple" cross-site request
    // (text/plain, no preflight) to this address; a JSON content type would need a CORS
    // preflight, which this server never grants. So no other site can make it work.
    if (request.method() == http::verb::post) {
      std::string type(request[http::field::content_type]);
      type = lower(type.substr(0, type.find(';')));
      while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
      if (type != "application/json")
        return Refusal{415, json_error("Content-Type", "a POST body must be sent as application/json, not '" + type + "'",
                                       "send the header Content-Type: application/json (curl: -H 'Content-Type: application/json')")};
    }
    return std::nullopt;
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (failed(ec)) return;
    const auto& request = parser_->get();
    if (const auto refusal = refused(request))
      // A wrong Host is answered and the connection closed; a POST that is not JSON may be a
      // slip of a client that goes on.
      return respond(refusal->status, refusal->body, "application/json", refusal->status == 415 && keep_alive_);
    std::string_view target(request.target().data(), request.target().size());
    const auto absolute = absolute_form(target);
    if (absolute) target = absolute->origin;
    const std::string_view path = target.substr(0, target.find('?'));
    // HEAD is GET without the body (RFC 9110 9.3.2): answered as GET, the body left out in
    // respond(). On a resource that takes POST it is refused (405) like any other method.
    const std::string_view method = head_ && allowed_method(path) == "GET" ? std::string_view("GET")
                                                                          : std::string_view(request.method_string().data(), request.method_string().size());
    const ApiResponse r = shared_.api.handle(method, target, request.body());
    const std::string_view allowed = allowed_method(path);
    respond(r.status, r.body, r.content_type, keep_alive_,
            r.status != 405 ? std::string() : allowed == "GET" ? std::string("GET, HEAD") : std::string(allowed));
  }

  void respond(int status, std::string body, const std::string& type, bool keep_alive, const std::string& allow = "") {
    response_ = {};
    response_.result(static_cast<http::status>(status));
    response_.version(11);
    response_.set(http::field::server, std::string("kimsim/") + kVersion);
    response_.set(http::field::content_type, type);
    response_.set(http::field::cache_control, "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    // The page may not be framed by another site (a hidden "Variante speichern" to click).
    response_.set("X-Frame-Options", "DENY");
    response_.set("Content-Security-Policy", "frame-ancestors 'none'");
    if (!allow.empty()) response_.set(http::field::allow, allow);  // a 405 says what the resource takes
    response_.keep_alive(keep_alive);
    // HTTP/1.0 closes unless told otherwise: a kept connection is said (RFC 9112 9.3).
    if (keep_alive && http10_) response_.set(http::field::connection, "keep-alive");
    response_.body() = std::move(body);
    response_.prepare_payload();
    // The answer to HEAD: the headers of the answer to GET, its Content-Length included, no body.
    if (head_) response_.body().clear();
    stream_.expires_after(std::chrono::seconds(shared_.options.deadline_seconds));
    http::async_write(stream_, response_, beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return close();
    read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, tcp::acceptor& acceptor, const Shared& shared) : ioc_(ioc), acceptor_(acceptor), shared_(shared) {}
  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor& acceptor_;
  const Shared& shared_;
  asio::steady_timer pause_{ioc_};
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stopping
    if (!ec) {
      // Whatever befalls this connection (out of memory for its session), the next is accepted.
      try {
        std::make_shared<Session>(std::move(socket), shared_)->start();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kimsim serve: a connection failed: %s\n", e.what());
      }
      return accept();
    }
    // Out of file descriptors (or another failure to accept): an immediate retry fails alike and
    // spins a core; a pause lets the deadlines close connections first.
    pause_.expires_after(std::chrono::milliseconds(100));
    pause_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->accept();
    });
  }
};

}  // namespace

void serve(const WhatIf& api, const ServerOptions& options, const std::function<void(const std::string& url)>& started) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind, ec);
  if (ec) throw InputError("--bind " + options.bind + ": not an IP address (such as 127.0.0.1)");
  asio::io_context ioc(options.threads);
  tcp::acceptor acceptor(ioc);
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw InputError(fmt::format("cannot listen on {}:{}: {}", options.bind, options.port, ec.message()));
  const std::uint16_t port = acceptor.local_endpoint().port();

  Shared shared{api, options, {}, port, address.is_unspecified()};
  const std::string shown = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  // On every address the printed URL is one this machine opens; others use its addresses.
  if (shared.any_address) shared.hosts.push_back(fmt::format("{}:{}", address.is_v6() ? "[::1]" : "127.0.0.1", port));
  shared.hosts.push_back(fmt::format("{}:{}", shown, port));
  if (address.is_loopback() || shared.any_address) shared.hosts.push_back(fmt::format("localhost:{}", port));

  std::make_shared<Listener>(ioc, acceptor, shared)->accept();
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close();
    ioc.stop();
  });
  started(fmt::format("http://{}/", shared.hosts.front()));
  // An exception out of one connection's handler ends only that connection (its session is
  // released with the handler); the server goes on (Asio: run() may be called again).
  const auto run = [&ioc] {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kimsim serve: a connection failed: %s\n", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < options.threads; ++i) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
}

}  // namespace kimsim::io
