// The single translation unit that compiles Boost.Asio (with its SSL layer)
// and Boost.Beast (separate compilation): every other file includes only
// their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
