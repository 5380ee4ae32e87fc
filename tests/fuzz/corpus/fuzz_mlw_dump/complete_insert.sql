INSERT INTO `accounts` (`id`, `serial`, `amount`, `price`, `info`) VALUES (1,'9999001',500,0.85,'it''s paid'),(2,'9999001',-20,1,0x414243);
