CREATE TABLE `f` (
  `a` float,
  `b` varchar(9)
) ENGINE=InnoDB;
INSERT INTO `f` VALUES
(0.85,123457),
(56726.5,0.000015);
