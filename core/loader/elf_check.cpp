#include "loader/elf_check.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"

namespace engram {

namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
constexpr const char* kMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
constexpr const char* kMachineName = "AArch64";
#else
#error "engram: unsupported host machine"
#endif

[[noreturn]] void invalid(const std::filesystem::path& shown_as, const std::string& why) {
    throw Error(ErrorCode::PluginFileInvalid,
                shown_as.string() + ": not a loadable plugin: " + why);
}

bool fits(uint64_t offset, uint64_t bytes, uint64_t size) {
    return offset <= size && bytes <= size - offset;
}

}  // namespace

void check_elf_file(const std::filesystem::path& file, const std::filesystem::path& shown_as) {
    std::ifstream in(file, std::ios::binary);
    if (!in) invalid(shown_as, "cannot open it");
    in.seekg(0, std::ios::end);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    Elf64_Ehdr eh{};
    if (size < sizeof eh || !in.read(reinterpret_cast<char*>(&eh), sizeof eh))
        invalid(shown_as, "only " + std::to_string(size) + " bytes, shorter than an ELF header");
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) invalid(shown_as, "not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        invalid(shown_as, "not a 64-bit little-endian ELF file");
    if (eh.e_type != ET_DYN)
        invalid(shown_as, "not a shared object (ELF type " + std::to_string(eh.e_type) + ")");
    if (eh.e_machine != kMachine)
        invalid(shown_as, "built for ELF machine " + std::to_string(eh.e_machine) +
                              ", this host is " + kMachineName);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
        !fits(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), size))
        invalid(shown_as, "program headers missing or past the end of the file (truncated?)");
    if (eh.e_shnum != 0 && !fits(eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize, size))
        invalid(shown_as, "section headers past the end of the file (" + std::to_string(size) +
                              " bytes): the file is truncated");
    std::vector<Elf64_Phdr> ph(eh.e_phnum);
    in.seekg(static_cast<std::streamoff>(eh.e_phoff));
    if (!in.read(reinterpret_cast<char*>(ph.data()),
                 static_cast<std::streamsize>(ph.size() * sizeof(Elf64_Phdr))))
        invalid(shown_as, "cannot read the program headers");
    for (const auto& p : ph)
        if (p.p_type == PT_LOAD && !fits(p.p_offset, p.p_filesz, size))
            invalid(shown_as, "a loadable segment reaches past the end of the file (" +
                                  std::to_string(size) + " bytes): the file is truncated");
}

}  // namespace engram
