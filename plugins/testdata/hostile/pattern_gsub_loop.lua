-- want: instructions
-- error: instruction limit of 1000000 exceeded
function f(ctx)
  local s = string.rep("ab", 100000)
  while true do s = s:gsub("(a)(b)", "%2%1") end
end
