#include "agent/valve.hpp"

#include <fcntl.h>
#include <gpiod.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/gpio.hpp"
#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

core::Error output_error(const std::string& spec, const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, "valve output " + spec + ": " + what);
}

class FileLine final : public OutputLine {
 public:
  explicit FileLine(std::string path) : path_(std::move(path)) {}

  core::Status set(bool high) override {
    // Rewritten in place (not renamed) so a sysfs value file can be the target.
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return output_error("file:" + path_, std::strerror(errno));
    const char* text = high ? "1\n" : "0\n";
    const bool ok = ::write(fd, text, 2) == 2 && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) return output_error("file:" + path_, std::strerror(saved));
    return core::Ok{};
  }

 private:
  std::string path_;
};

class GpioLine final : public OutputLine {
 public:
  ~GpioLine() override {
    if (line_) gpiod_line_release(line_);
    if (chip_) gpiod_chip_close(chip_);
  }

  static core::Result<std::unique_ptr<OutputLine>> open(const std::string& spec, bool initial) {
    auto gpio = parse_gpio_spec(spec);
    if (!gpio) return output_error(spec, "expected gpio:CHIP:LINE");
    auto l = std::unique_ptr<GpioLine>(new GpioLine(spec));
    l->chip_ = gpiod_chip_open_lookup(gpio->chip.c_str());
    if (!l->chip_)
      return output_error(spec, std::string("cannot open the chip: ") + std::strerror(errno));
    l->line_ = gpiod_chip_get_line(l->chip_, gpio->line);
    if (!l->line_) return output_error(spec, "no such line");
    if (gpiod_line_request_output(l->line_, "meterlogger", initial ? 1 : 0) != 0) {
      const int saved = errno;
      l->line_ = nullptr;
      return output_error(spec,
                          std::string("cannot request it as an output: ") + std::strerror(saved));
    }
    return std::unique_ptr<OutputLine>(std::move(l));
  }

  core::Status set(bool high) override {
    if (gpiod_line_set_value(line_, high ? 1 : 0) != 0) {
      return output_error(spec_, std::strerror(errno));
    }
    return core::Ok{};
  }

 private:
  explicit GpioLine(std::string spec) : spec_(std::move(spec)) {}
  std::string spec_;
  gpiod_chip* chip_ = nullptr;
  gpiod_line* line_ = nullptr;
};

}  // namespace

core::Result<std::unique_ptr<OutputLine>> open_output(const std::string& spec, bool initial) {
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) {
    auto line = std::make_unique<FileLine>(spec.substr(5));
    if (auto s = line->set(initial); !s) return s.error();
    return std::unique_ptr<OutputLine>(std::move(line));
  }
  if (spec.rfind("gpio:", 0) == 0) return GpioLine::open(spec, initial);
  return output_error(spec, "expected file:/path or gpio:CHIP:LINE");
}

ValveOutputs::ValveOutputs(asio::any_io_executor executor, const ValveConfig& config)
    : config_(config), test_timer_(std::make_shared<asio::steady_timer>(executor)) {}

core::Result<ValveOutputs> ValveOutputs::open(asio::any_io_executor executor,
                                              const ValveConfig& config, bool open_state) {
  ValveOutputs v(executor, config);
  const bool level = open_state != config.normally_open;
  if (config.output != "none" && !config.output.empty()) {
    auto line = open_output(config.output, level);
    if (!line) return line.error();
    v.output_ = std::move(line).value();
  }
  if (!config.second_output.empty()) {
    auto line = open_output(config.second_output, level);
    if (!line) return line.error();
    v.second_ = std::move(line).value();
  }
  if (!config.led.empty()) {
    auto line = open_output(config.led, open_state);
    if (!line) return line.error();
    v.led_ = std::move(line).value();
  }
  return v;
}

ValveOutputs::~ValveOutputs() {
  if (test_timer_) test_timer_->cancel();
}

core::Status ValveOutputs::drive(std::unique_ptr<OutputLine>& line, bool high) {
  return line ? line->set(high) : core::Status(core::Ok{});
}

core::Status ValveOutputs::set(bool open) {
  test_timer_->cancel();
  const bool level = open != config_.normally_open;
  if (auto s = drive(output_, level); !s) return s;
  if (auto s = drive(second_, level); !s) return s;
  return drive(led_, open);
}

core::Status ValveOutputs::off() {
  test_timer_->cancel();
  if (auto s = drive(output_, false); !s) return s;
  if (auto s = drive(second_, false); !s) return s;
  return drive(led_, false);
}

core::Status ValveOutputs::test(std::chrono::milliseconds period) {
  test_timer_->cancel();
  if (auto s = drive(output_, true); !s) return s;
  if (auto s = drive(second_, false); !s) return s;
  // The toggling runs on the timer; the lines outlive it only through this object, which the
  // device keeps for its whole life (the timer is cancelled with it).
  struct Toggle {
    std::shared_ptr<asio::steady_timer> timer;
    OutputLine* line;
    std::chrono::milliseconds period;
    bool level;
    bool failed = false;  // a line that cannot be set is logged once, not every period
    void operator()(const std::error_code& ec) {
      if (ec || !line) return;
      level = !level;
      if (auto s = line->set(level); !s && !failed) {
        platform::log::error("valve test: " + s.error().message());
        failed = true;
      }
      timer->expires_after(period);
      timer->async_wait(*this);
    }
  };
  test_timer_->expires_after(period);
  test_timer_->async_wait(Toggle{test_timer_, output_.get(), period, true});
  return core::Ok{};
}

}  // namespace ml::agent
