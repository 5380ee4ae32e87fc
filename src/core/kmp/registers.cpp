#include "core/kmp/registers.hpp"

#include <array>

#include "core/ascii.hpp"

namespace ml::core::kmp {
namespace {

using Q = Quantity;
constexpr auto kHeat = MeterFamily::heat;
constexpr auto kElectricity = MeterFamily::electricity;

// Unit codes used below.
constexpr std::uint8_t kNone = 0x00, kKwh = 0x02, kKw = 0x16, kC = 0x25, kK = 0x26, kM3 = 0x28,
                       kLh = 0x29, kM3C = 0x2B, kTon = 0x2C, kH = 0x2E, kClock = 0x2F, kDate = 0x30,
                       kNumber = 0x33, kBar = 0x34, kL = 0x27, kV = 0x21, kA = 0x22;

constexpr std::array kRegisters = {
    // Energy
    RegisterInfo{0x003C, "E1", "Heat energy E1", Q::energy, kKwh, "e1", kHeat},
    RegisterInfo{0x005E, "E2", "Control energy E2", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x003F, "E3", "Cooling energy E3", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x003D, "E4", "Flow energy E4", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x003E, "E5", "Return flow energy E5", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x005F, "E6", "Tap water energy E6", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x0060, "E7", "Heat energy Y E7", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x0061, "E8", "Volume x flow temperature E8 (m3 x T1)", Q::volume_temperature,
                 kM3C, "", kHeat},
    RegisterInfo{0x006E, "E9", "Volume x return temperature E9 (m3 x T2)", Q::volume_temperature,
                 kM3C, "", kHeat},
    RegisterInfo{0x009B, "E1HR_MC601", "High-resolution heat energy (MULTICAL 601, test)",
                 Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x010A, "E1HR", "High-resolution heat energy E1 (MULTICAL 403)", Q::energy, kKwh,
                 "", kHeat},
    RegisterInfo{0x0040, "TA2", "Tariff register 2", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x0041, "TA3", "Tariff register 3", Q::energy, kKwh, "", kHeat},
    RegisterInfo{0x0042, "TL2", "Tariff limit 2", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0043, "TL3", "Tariff limit 3", Q::none, kNumber, "", kHeat},
    // Volume and mass
    RegisterInfo{0x0044, "V1", "Volume V1", Q::volume, kM3, "v1", kHeat},
    RegisterInfo{0x0045, "V2", "Volume V2", Q::volume, kM3, "", kHeat},
    RegisterInfo{0x00F3, "V1REV", "Volume V1 reverse (MULTICAL 21, flowIQ)", Q::volume, kM3, "",
                 kHeat},
    RegisterInfo{0x0048, "M1", "Mass M1", Q::mass, kTon, "", kHeat},
    RegisterInfo{0x0049, "M2", "Mass M2", Q::mass, kTon, "", kHeat},
    RegisterInfo{0x0054, "VA", "Input register VA", Q::volume, kM3, "", kHeat},
    RegisterInfo{0x0055, "VB", "Input register VB", Q::volume, kM3, "", kHeat},
    RegisterInfo{0x00EA, "LPI_A", "Litres per pulse, input A", Q::volume, kL, "", kHeat},
    RegisterInfo{0x00EB, "LPI_B", "Litres per pulse, input B", Q::volume, kL, "", kHeat},
    // Flow and power
    RegisterInfo{0x004A, "FLOW1", "Current flow V1", Q::flow, kLh, "flow1", kHeat},
    RegisterInfo{0x004B, "FLOW2", "Current flow V2", Q::flow, kLh, "", kHeat},
    RegisterInfo{0x0050, "POWER1", "Current power (V1, T1, T2)", Q::power, kKw, "effect1", kHeat},
    // Temperatures and pressures
    RegisterInfo{0x0056, "T1", "Current flow temperature T1", Q::temperature, kC, "t1", kHeat},
    RegisterInfo{0x0057, "T2", "Current return temperature T2", Q::temperature, kC, "t2", kHeat},
    RegisterInfo{0x0058, "T3", "Current temperature T3", Q::temperature, kC, "", kHeat},
    RegisterInfo{0x007A, "T4", "Current temperature T4", Q::temperature, kC, "", kHeat},
    RegisterInfo{0x0059, "T1-T2", "Current temperature difference T1-T2", Q::temperature_difference,
                 kK, "tdif", kHeat},
    RegisterInfo{0x005B, "P1", "Pressure in flow P1", Q::pressure, kBar, "", kHeat},
    RegisterInfo{0x005C, "P2", "Pressure in return P2", Q::pressure, kBar, "", kHeat},
    // Yearly and monthly peaks (dates are yymmdd numbers in meter-local time)
    RegisterInfo{0x007B, "MAXFLOW_Y_DATE", "Date of this year's maximum flow", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x007C, "MAXFLOW_Y", "This year's maximum flow", Q::flow, kLh, "", kHeat},
    RegisterInfo{0x007D, "MINFLOW_Y_DATE", "Date of this year's minimum flow", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x007E, "MINFLOW_Y", "This year's minimum flow", Q::flow, kLh, "", kHeat},
    RegisterInfo{0x007F, "MAXPOWER_Y_DATE", "Date of this year's maximum power", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x0080, "MAXPOWER_Y", "This year's maximum power", Q::power, kKw, "", kHeat},
    RegisterInfo{0x0081, "MINPOWER_Y_DATE", "Date of this year's minimum power", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x0082, "MINPOWER_Y", "This year's minimum power", Q::power, kKw, "", kHeat},
    RegisterInfo{0x008A, "MAXFLOW_M_DATE", "Date of this month's maximum flow", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x008B, "MAXFLOW_M", "This month's maximum flow", Q::flow, kLh, "", kHeat},
    RegisterInfo{0x008C, "MINFLOW_M_DATE", "Date of this month's minimum flow", Q::date, kDate, "",
                 kHeat},
    RegisterInfo{0x008D, "MINFLOW_M", "This month's minimum flow", Q::flow, kLh, "", kHeat},
    RegisterInfo{0x008E, "MAXPOWER_M_DATE", "Date of this month's maximum power", Q::date, kDate,
                 "", kHeat},
    RegisterInfo{0x008F, "MAXPOWER_M", "This month's maximum power", Q::power, kKw, "", kHeat},
    RegisterInfo{0x0090, "MINPOWER_M_DATE", "Date of this month's minimum power", Q::date, kDate,
                 "", kHeat},
    RegisterInfo{0x0091, "MINPOWER_M", "This month's minimum power", Q::power, kKw, "", kHeat},
    RegisterInfo{0x0092, "AVG_T1_Y", "Year-to-date average T1", Q::temperature, kC, "", kHeat},
    RegisterInfo{0x0093, "AVG_T2_Y", "Year-to-date average T2", Q::temperature, kC, "", kHeat},
    RegisterInfo{0x0095, "AVG_T1_M", "Month-to-date average T1", Q::temperature, kC, "", kHeat},
    RegisterInfo{0x0096, "AVG_T2_M", "Month-to-date average T2", Q::temperature, kC, "", kHeat},
    // Counters, codes, identity
    RegisterInfo{0x03EC, "HR", "Operating hour counter", Q::duration, kH, "hr", kHeat},
    RegisterInfo{0x00AF, "ERRHR", "Error hour counter", Q::duration, kH, "", kHeat},
    RegisterInfo{0x0063, "INFO", "Current info code", Q::bitfield, kNone, "", kHeat},
    RegisterInfo{0x0071, "INFOEVENT", "Info-event counter", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0062, "TARGET_DATE", "Target (billing) date", Q::date, kDate, "", kHeat},
    RegisterInfo{0x03EA, "CLOCK", "Current time (hhmmss)", Q::clock, kClock, "", kHeat},
    RegisterInfo{0x03EB, "DATE", "Current date (yymmdd)", Q::date, kDate, "", kHeat},
    RegisterInfo{0x03E9, "SERIAL", "Serial number", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0070, "CUSTNO_HIGH", "Customer number (high 8 digits)", Q::none, kNumber, "",
                 kHeat},
    RegisterInfo{0x03F2, "CUSTNO_LOW", "Customer number (low 8 digits)", Q::none, kNumber, "",
                 kHeat},
    RegisterInfo{0x0072, "METERNO_VA", "Meter number of input VA", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0068, "METERNO_VB", "Meter number of input VB", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0098, "PROGRAM", "Program number ABCCCCCC", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x0099, "CONFIG1", "Configuration number DDDEE", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x00A8, "CONFIG2", "Configuration number FFGGMN", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x03ED, "SW_EDITION", "Software edition", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x009A, "SW_CHECKSUM", "Software checksum", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x009D, "MODULE_TOP", "Top module id", Q::none, kNumber, "", kHeat},
    RegisterInfo{0x009E, "MODULE_BASE", "Base module id", Q::none, kNumber, "", kHeat},
    // MULTICAL 382 electricity meter (a separate register map)
    RegisterInfo{0x0001, "EL_E_IN", "Active energy in (382)", Q::energy, kKwh, "", kElectricity},
    RegisterInfo{0x0002, "EL_E_OUT", "Active energy out (382)", Q::energy, kKwh, "", kElectricity},
    RegisterInfo{0x000D, "EL_E_IN_HR", "Active energy in, high resolution (382)", Q::energy, kKwh,
                 "", kElectricity},
    RegisterInfo{0x000E, "EL_E_OUT_HR", "Active energy out, high resolution (382)", Q::energy, kKwh,
                 "", kElectricity},
    RegisterInfo{0x03FF, "EL_P_IN", "Active power in (382)", Q::power, kKw, "", kElectricity},
    RegisterInfo{0x0400, "EL_P_IN2", "Active power in, second register (382)", Q::power, kKw, "",
                 kElectricity},
    RegisterInfo{0x041E, "EL_U_L1", "Voltage L1 (382)", Q::voltage, kV, "", kElectricity},
    RegisterInfo{0x041F, "EL_U_L2", "Voltage L2 (382)", Q::voltage, kV, "", kElectricity},
    RegisterInfo{0x0420, "EL_U_L3", "Voltage L3 (382)", Q::voltage, kV, "", kElectricity},
    RegisterInfo{0x0434, "EL_I_L1", "Current L1 (382)", Q::current, kA, "", kElectricity},
    RegisterInfo{0x0435, "EL_I_L2", "Current L2 (382)", Q::current, kA, "", kElectricity},
    RegisterInfo{0x0436, "EL_I_L3", "Current L3 (382)", Q::current, kA, "", kElectricity},
    RegisterInfo{0x0438, "EL_P_L1", "Active power L1 (382)", Q::power, kKw, "", kElectricity},
    RegisterInfo{0x0439, "EL_P_L2", "Active power L2 (382)", Q::power, kKw, "", kElectricity},
    RegisterInfo{0x043A, "EL_P_L3", "Active power L3 (382)", Q::power, kKw, "", kElectricity},
    RegisterInfo{0x0540, "EL_P_OUT_L1", "Active power out L1 (382)", Q::power, kKw, "",
                 kElectricity},
    RegisterInfo{0x0541, "EL_P_OUT_L2", "Active power out L2 (382)", Q::power, kKw, "",
                 kElectricity},
    RegisterInfo{0x0542, "EL_P_OUT_L3", "Active power out L3 (382)", Q::power, kKw, "",
                 kElectricity},
};

constexpr std::array<std::uint16_t, 8> kSampleRegisters = {0x003C, 0x0044, 0x03EC, 0x0056,
                                                           0x0057, 0x0059, 0x004A, 0x0050};

constexpr bool ids_unique() {
  for (std::size_t i = 0; i < kRegisters.size(); ++i) {
    for (std::size_t j = i + 1; j < kRegisters.size(); ++j) {
      if (kRegisters[i].id == kRegisters[j].id || kRegisters[i].name == kRegisters[j].name) {
        return false;
      }
    }
  }
  return true;
}
static_assert(ids_unique(), "register ids and names must be unique");

}  // namespace

std::optional<RegisterInfo> register_by_id(std::uint16_t id) {
  for (const RegisterInfo& r : kRegisters) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

std::optional<RegisterInfo> register_by_name(std::string_view name) {
  for (const RegisterInfo& r : kRegisters) {
    if (core::ascii_iequals(r.name, name) ||
        (!r.sample_key.empty() && core::ascii_iequals(r.sample_key, name)))
      return r;
  }
  return std::nullopt;
}

std::span<const RegisterInfo> all_registers() {
  return kRegisters;
}

std::span<const std::uint16_t> sample_registers() {
  return kSampleRegisters;
}

}  // namespace ml::core::kmp
