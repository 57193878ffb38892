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
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "kimsim/error.hpp"
#include "kimsim/version.hpp"

namespace kimsim::io {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
  return nlohmann::json{{"path", path}, {"message", message}, {"hint", hint}, {"kimsim_version", kVersion}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
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

  /// A refusal of a request by its header alone (before its body is read).
  struct Refusal {
    int status = 400;
    std::string body;
  };

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    // Browsers send the cookies of every local tool on 127.0.0.1 (Jupyter, RStudio, ...): more
    // than Beast's default 8 KiB of headers is common there.
    parser_->header_limit(64 * 1024);
    head_ = false;
    // The deadline covers the whole request: a client that sends slowly is cut off.
    stream_.expires_after(std::chrono::seconds(shared_.options.deadline_seconds));
    // The header first: a client that asks `Expect: 100-continue` sends its body only once told
    // to (curl does for large bodies), and one whose body is too large is refused unread.
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  /// Answers a failed read; false where the read succeeded.
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::end_of_stream) {
      close();
    } else if (ec == http::error::body_limit) {
      // Said from the Content-Length alone where there is one: the body is not read.
      respond(413, json_error("body", fmt::format("the request body is larger than {} bytes", kMaxBodyBytes),
                              "send the scenario's name and a patch of the values you change"),
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
    // RFC 9110 10.1.1: a client that expects 100-continue waits for it before sending its body.
    // Its header is checked first: a request refused now is answered without its body, and the
    // connection closed (the unsent body would otherwise be read as the next request). Not to
    // an HTTP/1.0 client, which knows no 100.
    std::string expect(request[http::field::expect]);
    for (char& ch : expect) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (expect == "100-continue" && request.version() >= 11 && !parser_->is_done()) {
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

  /// What the header alone refuses: two Host headers, a Host that does not name this server, a
  /// POST that is not JSON.
  std::optional<Refusal> refused(const http::request_header<>& request) const {
    // Two Host fields name two servers: which one the client meant is unknown (RFC 9112 3.2: 400).
    if (request.count(http::field::host) > 1)
      return Refusal{400, json_error("Host", "the request has more than one Host header", "send one Host header: the address kimsim serve printed")};
    std::string host(request[http::field::host]);
    // Host names are case-insensitive (LOCALHOST is localhost); the allowed ones are lower case.
    for (char& ch : host) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
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
      type = type.substr(0, type.find(';'));
      while (!type.empty() && type.back() == ' ') type.pop_back();
      for (char& ch : type) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
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
      return respond(refusal->status, refusal->body, "application/json", refusal->status == 415 && request.keep_alive());
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    // HEAD is GET without the body (RFC 9110 9.3.2): answered as GET, the body left out in
    // respond(). On a resource that takes POST it is refused (405) like any other method.
    const std::string_view method = head_ && allowed_method(path) == "GET" ? std::string_view("GET")
                                                                          : std::string_view(request.method_string().data(), request.method_string().size());
    const ApiResponse r = shared_.api.handle(method, target, request.body());
    const std::string_view allowed = allowed_method(path);
    respond(r.status, r.body, r.content_type, request.keep_alive(),
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
      std::make_shared<Session>(std::move(socket), shared_)->start();
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
  std::vector<std::thread> threads;
  for (int i = 1; i < options.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
}

}  // namespace kimsim::io
