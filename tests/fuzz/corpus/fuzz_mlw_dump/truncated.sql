CREATE TABLE `samples` (
  `id` int,
  `energy` float
) ENGINE=InnoDB;
INSERT INTO `samples` VALUES (1,2),(2,
